#include "vector/index_stats.h"

namespace lakehouse::vector {

Result<IndexStats> ComputeStats(IndexRegistry& indexes, storage::BucketRegistry& buckets, const std::string& name) {
  IndexStats stats;
  LH_ASSIGN_OR_RETURN(stats.manifest, indexes.Get(name));
  if (!stats.manifest.active) return stats;  // still building or failed: nothing to measure
  LH_ASSIGN_OR_RETURN(auto loaded, indexes.Acquire(name));
  LH_ASSIGN_OR_RETURN(auto store, buckets.Get(stats.manifest.bucket));
  const IndexGeneration& g = loaded->generation;
  stats.vectors = loaded->backend->size();
  stats.documents = loaded->chunks.doc_count();
  stats.delta_vectors = loaded->DeltaSize();
  stats.delta_parts = g.delta_parts;
  stats.tombstones = g.deleted_labels.size();
  stats.memory_bytes = loaded->backend->MemoryBytes() + (loaded->vectors ? loaded->vectors->MemoryBytes() : 0);
  auto size_of = [&](const std::string& key) -> uint64_t {
    if (key.empty()) return 0;
    auto info = store->Stat(key);
    return info.ok() ? info->size : 0;
  };
  stats.backend_file_bytes = size_of(g.backend_file);
  for (const auto& key : g.embedding_files) stats.embeddings_bytes += size_of(key);
  stats.text_index_bytes = size_of(g.text_file);
  return stats;
}

}  // namespace lakehouse::vector
