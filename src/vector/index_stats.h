// What an index costs and holds: GET /vectors/indexes/{name}/stats. Loads
// the served generation when no search has yet.
#pragma once

#include <cstdint>
#include <string>

#include "storage/bucket_registry.h"
#include "vector/index_registry.h"

namespace lakehouse::vector {

struct IndexStats {
  IndexManifest manifest;  // its active generation is the one measured
  size_t vectors = 0;       // live chunks in the backend
  size_t documents = 0;
  size_t tombstones = 0;    // replaced chunks still in the stored embeddings
  size_t delta_vectors = 0;  // appended, searched exactly until merged into the backend
  int delta_parts = 0;
  uint64_t memory_bytes = 0;  // the backend and the raw vectors it keeps
  uint64_t backend_file_bytes = 0, embeddings_bytes = 0, text_index_bytes = 0;
};

Result<IndexStats> ComputeStats(IndexRegistry& indexes, storage::BucketRegistry& buckets, const std::string& name);

}  // namespace lakehouse::vector
