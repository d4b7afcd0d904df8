// Merging an index's delta into its backend: after an append passes the
// thresholds, at once (CLI) or on the registry's merge thread (server).
// The merged generation is swapped in like a refresh; searches meanwhile
// answer from the delta generation, which already has every row.
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <set>
#include <thread>

#include "vector/index_registry.h"

namespace lakehouse::vector {

class IndexRegistry::MergeWorker {
 public:
  explicit MergeWorker(IndexRegistry& registry) : registry_(registry), thread_([this] { Run(); }) {}
  ~MergeWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void Enqueue(const std::string& name) {
    {
      std::lock_guard lock(mutex_);
      if (!queued_.insert(name).second) return;
      queue_.push_back(name);
    }
    wake_.notify_all();
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      std::string name = queue_.front();
      queue_.pop_front();
      queued_.erase(name);
      lock.unlock();
      if (auto merged = registry_.MergeDelta(name); !merged.ok()) {
        // The delta keeps serving every row; the next append tries again.
        spdlog::warn("index {}: merging appended rows into the backend failed: {}", name, merged.status().message());
      }
      lock.lock();
    }
  }

  IndexRegistry& registry_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest exists
};

// Here, where MergeWorker is complete.
IndexRegistry::IndexRegistry(catalog::Catalog& catalog, storage::BucketRegistry& buckets, VectorOptions options)
    : catalog_(catalog),
      buckets_(buckets),
      options_(std::move(options)),
      embedders_({options_.ollama_url, options_.openai_url, options_.openai_api_key}),
      dir_(buckets.Primary()->Root() / "_catalog/indexes", "_catalog/indexes/", "index name") {}
IndexRegistry::~IndexRegistry() { merges_.reset(); }

void IndexRegistry::MergeIfDue(const std::string& name, const LoadedIndex& published) {
  const IndexGeneration& g = published.generation;
  size_t delta_bytes = published.DeltaSize() * static_cast<size_t>(g.dimension) * sizeof(float);
  bool delta_due = g.delta_parts > 0 && (delta_bytes > kFlatMaxBytes || g.delta_parts >= kMaxDeltaParts);
  // Refreshes that are not appends (after a dataset compaction, say) add
  // parts too.
  bool parts_due = g.embedding_files.size() > kMaxEmbeddingParts;
  if (!delta_due && !parts_due) return;
  if (!options_.merge_in_background) {
    if (auto merged = MergeDelta(name); !merged.ok()) {
      spdlog::warn("index {}: merging appended rows into the backend failed: {}", name, merged.status().message());
    }
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (!merges_) merges_ = std::make_unique<MergeWorker>(*this);
  }
  merges_->Enqueue(name);
}

Result<IndexManifest> IndexRegistry::MergeDelta(const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto work, LockWork(name));
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (!manifest.active ||
      (manifest.active->delta_parts == 0 && manifest.active->embedding_files.size() <= kMaxEmbeddingParts)) {
    return manifest;
  }
  const IndexGeneration previous = *manifest.active;
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(manifest.dataset));
  LH_ASSIGN_OR_RETURN(auto dataset_store, buckets_.Get(dataset.bucket));
  LH_ASSIGN_OR_RETURN(auto index_store, buckets_.Get(manifest.bucket));
  // Nothing is embedded; the embedder only names the model of a rebuilt generation.
  LH_ASSIGN_OR_RETURN(auto embedder, embedders_.Make(manifest.embedder));
  std::shared_ptr<const LoadedIndex> current = LoadedFor(manifest);
  ProgressTracker tracker(*this, name, {});
  BuildInputs in{manifest, dataset, dataset_store, index_store, *embedder, BuildThreads(), tracker.fn()};
  LH_ASSIGN_OR_RETURN(auto builder, Builder());
  // Rewritten as one part when the parts pile up, and rebuilt when auto
  // would now pick another backend for the index's size.
  bool rebuild = previous.embedding_files.size() > kMaxEmbeddingParts ||
                 (manifest.backend.kind == BackendKind::kAuto &&
                  ResolveAuto(static_cast<size_t>(previous.chunk_count), previous.dimension) != previous.backend.kind);
  LH_ASSIGN_OR_RETURN(auto outcome, rebuild ? builder->Rebuild(in, previous) : builder->Merge(in, previous, current));
  if (!rebuild) {
    // The full-text segments the appends left, merged here rather than on
    // their path; a failure only leaves searches a little slower.
    if (auto path = index_store->LocalPath(previous.text_file)) {
      if (Status s = TextIndex::MergeSegmentsInPlace(*path); !s.ok()) {
        spdlog::warn("index {}: merging full-text segments: {}", name, s.message());
      }
    }
  }
  if (!outcome.index) return manifest;
  IndexGeneration next = outcome.index->generation;
  return Publish(
      name,
      [&](IndexManifest& m) {
        if (!m.active || m.active->number != previous.number) return Conflict("index '" + name + "' changed meanwhile");
        // A PATCH of the knobs while this ran wins over the copy it started from.
        if (m.active->backend.kind == next.backend.kind) {
          for (const auto& [knob, value] : QueryKnobsOf(next.backend.kind, m.active->backend.options)) {
            next.backend.options[knob] = value;
          }
        }
        m.active = next;
        return Status::Ok();
      },
      outcome.index, previous);
}

}  // namespace lakehouse::vector
