// Builds and refreshes index generations: reads the dataset's id and text
// columns, chunks, embeds, and writes the embeddings (Parquet), the HNSW
// graph and the full-text index under vectors/<index>/ in the index's
// bucket. Never touches the manifest: the registry publishes what this
// returns, so a failed build leaves the index exactly as it was (files
// written for it are removed).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ai/embedder.h"
#include "catalog/manifest.h"
#include "engine/database.h"
#include "storage/object_store.h"
#include "vector/loaded_index.h"

namespace lakehouse::vector {

enum class BuildPhase { kReading, kEmbedding, kWriting, kIndexing, kSaving };
const char* BuildPhaseName(BuildPhase phase);  // reading, embedding, writing, indexing, saving

struct BuildProgress {
  BuildPhase phase = BuildPhase::kReading;
  size_t done = 0;
  size_t total = 0;
  double per_second = 0;
  double eta_s = -1;  // -1: unknown
};
using ProgressFn = std::function<void(const BuildProgress&)>;

struct BuildOutcome {
  BuildStats stats;
  // Refresh only: the delta would have left more tombstones than the
  // inputs' rebuild_tombstone_ratio allows, so the new generation was
  // rebuilt from the stored vectors of the live chunks plus the delta.
  bool compacted = false;
  // Refresh only: the new rows were appended (a delta segment beside the
  // served backend, which was neither reloaded nor rewritten).
  bool appended = false;
  std::shared_ptr<LoadedIndex> index;  // the new generation (null on no-op)
};

struct BuildInputs {
  const IndexManifest& settings;
  const catalog::Manifest& dataset;
  std::shared_ptr<storage::ObjectStore> dataset_store;
  std::shared_ptr<storage::ObjectStore> index_store;
  ai::Embedder& embedder;
  int threads = 2;
  ProgressFn progress;
  double rebuild_tombstone_ratio = 0.5;  // tombstones per live chunk past which Refresh compacts
  // Append only: called with the new generation as soon as it can be
  // searched (its full-text rows committed), before its embeddings part and
  // manifest are durable; the caller serves it at once and takes it back
  // if the append then fails.
  std::function<void(std::shared_ptr<const LoadedIndex>)> on_searchable;
};

// What identifies the dataset's current data: equal signatures, nothing to refresh.
std::string DatasetSignature(const catalog::Manifest& dataset);

class IndexBuilder {
 public:
  explicit IndexBuilder(std::shared_ptr<engine::Database> db) : db_(std::move(db)) {}

  // A complete new generation numbered `generation`, every document embedded.
  Result<BuildOutcome> Build(const BuildInputs& in, int generation);

  // The next generation of `current`: only new and changed documents are
  // embedded, vanished ones leave. No-op (no files, no_op set) when the
  // dataset's signature is unchanged. `current` may be the loaded index or
  // null (then its state is read from the embeddings files).
  //
  // When the dataset only gained files (an append), only those are read,
  // and their chunks become a delta: one more embeddings part, rows added
  // to the full-text file in place, vectors searched exactly beside the
  // backend, which is shared with `current`. Cost follows the new rows.
  Result<BuildOutcome> Refresh(const BuildInputs& in, const IndexGeneration& generation,
                               std::shared_ptr<const LoadedIndex> current);

  // The next generation of `generation` with every live chunk and its
  // stored vector, indexed by `in.settings.backend`: nothing is embedded or
  // read from the dataset (a backend change).
  Result<BuildOutcome> Rebuild(const BuildInputs& in, const IndexGeneration& generation);

  // The next generation of `g` with its delta added to the backend (HNSW
  // insert, IVF list add without retraining) and saved as its file. No
  // chunk is embedded, no part or full-text row written.
  Result<BuildOutcome> Merge(const BuildInputs& in, const IndexGeneration& g,
                             std::shared_ptr<const LoadedIndex> current);

  // Reads a generation's chunk table (not its vectors) and opens its graph
  // and full-text index: what a first search needs.
  Result<std::shared_ptr<LoadedIndex>> Load(const IndexManifest& settings, const IndexGeneration& generation,
                                            const storage::ObjectStore& index_store);

 private:
  Result<BuildOutcome> Append(const BuildInputs& in, const IndexGeneration& g, const LoadedIndex& current,
                              const std::vector<std::string>& added_files);

  std::shared_ptr<engine::Database> db_;
};

}  // namespace lakehouse::vector
