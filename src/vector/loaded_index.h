// One generation of an index, in memory and ready to search: its vector
// backend (and the raw vectors when the backend needs them), the full-text
// index and, per live label, the chunk it stands for.
//
// Immutable once published; a refresh builds the next one beside it. An
// append shares everything of the generation before it (backend, vectors,
// chunk segments, full-text file) and adds one small segment of each, so
// its cost follows the rows appended, not the index.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "vector/backend.h"
#include "vector/index_manifest.h"
#include "vector/text_index.h"
#include "vector/vector_store.h"

namespace lakehouse::vector {

struct ChunkRow {
  std::string doc_id;
  int64_t chunk_index = 0;
  int64_t begin = 0;
  int64_t end = 0;
  std::string text;
  std::string doc_hash;  // md5 of the document's whole text, for delta refresh
};

struct ChunkSegment {
  std::unordered_map<int64_t, ChunkRow> chunks;
  std::unordered_map<std::string, std::vector<int64_t>> labels_by_doc;
};

// The live chunks by label and by document, in segments: sealed ones shared
// with earlier generations, and the one this generation's builder fills.
// A document's chunks are all in one segment (an append skips ids already
// indexed; every other refresh writes one segment).
class ChunkTable {
 public:
  ChunkTable() : open_(std::make_shared<ChunkSegment>()) {}
  // A table sharing every segment of `base`, with a new empty one to fill.
  static ChunkTable After(const ChunkTable& base);

  void Add(int64_t label, ChunkRow row);
  const ChunkRow* Find(int64_t label) const;
  const std::vector<int64_t>* LabelsOf(const std::string& doc_id) const;
  size_t size() const { return size_; }
  size_t doc_count() const { return docs_; }
  size_t segment_count() const { return sealed_.size() + 1; }
  void ForEach(const std::function<void(int64_t label, const ChunkRow& row)>& fn) const;
  void ForEachDoc(const std::function<void(const std::string& doc_id, const std::vector<int64_t>& labels)>& fn) const;

 private:
  std::vector<std::shared_ptr<const ChunkSegment>> sealed_;
  std::shared_ptr<ChunkSegment> open_;  // mutated only before the generation is published
  size_t size_ = 0, docs_ = 0;
};

struct LoadedIndex {
  IndexGeneration generation;
  std::string bucket;  // where its files were opened: a move elsewhere means reopening them
  // What searches call: `main` alone, or `main` with the delta beside it.
  std::shared_ptr<const VectorBackend> backend;
  // Built from the generation's first parts (the backend file's content)...
  std::shared_ptr<const VectorBackend> main;
  std::shared_ptr<const VectorStore> vectors;  // main's raw vectors; null when main holds its own (hnsw)
  // ...and the vectors of the parts appended since, searched exactly until
  // a merge adds them to the backend (generation.delta_parts of them).
  std::vector<std::shared_ptr<const VectorStore>> delta;
  std::shared_ptr<TextIndex> text;
  ChunkTable chunks;  // live labels only

  void AddChunk(int64_t label, ChunkRow row) { chunks.Add(label, std::move(row)); }
  size_t DeltaSize() const;
  // Sets `backend` from `main` and `delta`.
  void Assemble();
};

// Object keys of an index's files inside its bucket.
std::string IndexDirKey(const std::string& index);
std::string EmbeddingPartKey(const std::string& index, int part);
// The backend's own file of a generation (hnsw-N.bin, ivf_pq-N.faiss).
std::string BackendKey(const std::string& index, BackendKind kind, int generation);
std::string TextIndexKey(const std::string& index, int generation);
// Every file a generation needs, the full-text file's journal included (a
// crash in the middle of an append leaves it; the first reader rolls the
// file back from it, so sweeps and moves must keep it).
std::set<std::string> GenerationFiles(const IndexGeneration& g);

}  // namespace lakehouse::vector
