// The steps index builds are made of (read the dataset's documents, chunk,
// embed, write an embeddings part, the backend's file and the full-text
// index, read stored vectors back), shared by the full build, the refresh,
// the append and the merge. Internal to vector/.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "vector/index_builder.h"

namespace lakehouse::vector::build {

using Clock = std::chrono::steady_clock;

struct SourceDoc {
  std::string id;
  std::string text;
  std::string hash;
};

// Chunks waiting for their vectors, and the vectors once computed.
struct Batch {
  std::vector<int64_t> labels;
  std::vector<ChunkRow> rows;
  std::vector<float> vectors;  // rows x dimension
  // What the embedder is sent instead of a row's text, where they differ
  // (PII spans as their kind): empty, or one per row, "" where the same.
  std::vector<std::string> embed_texts;
};

// The documents of the dataset's data files `keys` (id, text, md5 of the
// text), first row of an id wins; later ones are counted in `duplicates`.
Result<std::vector<SourceDoc>> ReadDocs(engine::Connection& conn, const BuildInputs& in,
                                        const std::vector<std::string>& keys, int64_t* duplicates);
std::vector<std::string> FileKeys(const catalog::Manifest& dataset);  // of its current version
// The ids of the files `added` that the files `before` already have (only
// their id columns are read): an appended row with such an id is not the
// dataset's first row of it, even when that first row had no text.
Result<std::unordered_set<std::string>> IdsAlreadyIn(engine::Connection& conn, const BuildInputs& in,
                                                     const std::vector<std::string>& before,
                                                     const std::vector<std::string>& added);
bool IsBlank(const std::string& text);
// Chunks `docs` into a batch labelled from `first_label` on.
// With `redact_for_embedder`, PII spans of each document are kept from the
// embedder (a semantic model sees what it embeds; an HTTP one sends it away)
// while chunks keep their text for full-text search and shown results.
Batch ChunkDocs(const std::vector<const SourceDoc*>& docs, const ChunkOptions& options, int64_t first_label,
                bool redact_for_embedder);
// Embeds every chunk of the batch on `threads` threads, reporting progress.
Status EmbedBatch(Batch& batch, ai::Embedder& embedder, int threads, const ProgressFn& progress);

// Files written for a generation that has not been published yet: removed
// unless Keep() is called, so a failed build leaves nothing behind.
class WrittenFiles {
 public:
  explicit WrittenFiles(storage::ObjectStore& store) : store_(store) {}
  ~WrittenFiles();
  void Add(const std::string& key) { keys_.push_back(key); }
  void Keep() { keys_.clear(); }

 private:
  storage::ObjectStore& store_;
  std::vector<std::string> keys_;
};

Result<std::filesystem::path> LocalPathOf(const storage::ObjectStore& store, const std::string& key);
Status WritePart(engine::Connection& conn, storage::ObjectStore& store, const Batch& batch, int dimension,
                 const std::string& key, WrittenFiles& written);
// Saves the backend's file (if it has one) and returns its checksum.
Result<std::optional<uint32_t>> WriteBackend(const VectorBackend& backend, storage::ObjectStore& store,
                                             const std::string& key, WrittenFiles& written);
// The raw vectors of a batch, for the backends that search or re-rank them.
std::shared_ptr<VectorStore> StoreOf(const Batch& batch, int dim);
// Builds the full-text index for generation `key`: from scratch, or from a
// copy of `base` (which keeps its own stemmer) with `removed` taken out (and rows a crashed append left
// from `first_new_label` on), then `batch` added.
Result<std::unique_ptr<TextIndex>> WriteText(storage::ObjectStore& store, const std::string& key, TextStemmer stemmer,
                                            const std::string& base, const std::vector<int64_t>& removed,
                                            int64_t first_new_label, const Batch& batch, WrittenFiles& written);
Result<std::string> PartList(const storage::ObjectStore& store, const std::vector<std::string>& keys);

// The live chunks of generation `g`, vectors included, minus `removed`.
Status ReadLiveChunks(engine::Connection& conn, const storage::ObjectStore& store, const IndexGeneration& g,
                      const std::vector<int64_t>& removed, Batch& out);
// The first parts of `g` (those its backend file holds) or its delta parts.
std::vector<std::string> MainParts(const IndexGeneration& g);
std::vector<std::string> DeltaParts(const IndexGeneration& g);
// The stored vectors of the live chunks in `parts` of generation `g`.
Result<std::shared_ptr<VectorStore>> ReadStoredVectors(engine::Connection& conn, const storage::ObjectStore& store,
                                                       const IndexGeneration& g, const std::vector<std::string>& parts);
// The raw vectors the next generation's backend needs (null when it keeps
// its own): a copy of `current`'s (read from `g`'s main parts when not
// loaded), `removed` taken out and `added` put in. The served one is never
// changed.
Result<std::shared_ptr<const VectorStore>> NextVectors(engine::Connection& conn, const BuildInputs& in,
                                                       const IndexGeneration& g, const LoadedIndex& current,
                                                       const std::vector<int64_t>& removed, const Batch& added);
// Generation `g`'s backend from its file (and the stored vectors of its
// main parts when it needs them, returned in `vectors` unless given), with
// room for `extra` more rows.
Result<std::unique_ptr<VectorBackend>> LoadBackend(engine::Connection& conn, const storage::ObjectStore& store,
                                                   const IndexGeneration& g, size_t extra,
                                                   std::shared_ptr<const VectorStore>* vectors);

}  // namespace lakehouse::vector::build
