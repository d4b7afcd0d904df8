// A backend change: the index's stored vectors indexed by another backend
// (or other settings) in a shadow generation, published by the same swap
// as a refresh. Searches keep the old generation until then; a failure
// leaves it serving and says why.
#include "vector/index_registry.h"

#include "common/crash_point.h"

namespace lakehouse::vector {

Result<IndexManifest> IndexRegistry::BuildPendingBackend(const std::string& name, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (!manifest.pending_backend || !manifest.active) return manifest;
  const BackendSpec target = *manifest.pending_backend;
  auto same_target = [&](const IndexManifest& m) { return m.pending_backend && *m.pending_backend == target; };
  const std::optional<IndexGeneration> previous = manifest.active;
  auto built = [&]() -> Result<BuildOutcome> {
    LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(manifest.dataset));
    LH_ASSIGN_OR_RETURN(auto dataset_store, buckets_.Get(dataset.bucket));
    LH_ASSIGN_OR_RETURN(auto index_store, buckets_.Get(manifest.bucket));
    // Nothing is embedded; the embedder only names the model of the generation.
    LH_ASSIGN_OR_RETURN(auto embedder, embedders_.Make(manifest.embedder));
    IndexManifest settings = manifest;
    settings.backend = target;
    ProgressTracker tracker(*this, name, progress);
    BuildInputs in{settings, dataset, dataset_store, index_store, *embedder, BuildThreads(), tracker.fn()};
    LH_ASSIGN_OR_RETURN(auto builder, Builder());
    return builder->Rebuild(in, *previous);
  }();
  if (!built.ok()) {
    (void)Update(name, [&](IndexManifest& m) {
      m.error = std::string("changing the backend to ") + BackendKindName(target.kind) +
                " failed: " + built.status().message() + "; the previous backend keeps serving";
      if (same_target(m)) {
        m.pending_backend.reset();
        m.pending_promotion.reset();
      }
      return Status::Ok();
    });
    return built.status();
  }
  MaybeCrash("backend_change:before_publish");
  return Publish(
      name,
      [&](IndexManifest& m) {
        m.backend = target;
        if (same_target(m)) m.pending_backend.reset();
        RecordGeneration(m, *built);
        // The promotion that asked for this backend, in the same write.
        if (m.pending_promotion && m.pending_promotion->to == target) CommitPromotion(m, *m.pending_promotion);
        m.pending_promotion.reset();
        return Status::Ok();
      },
      built->index, previous);
}

}  // namespace lakehouse::vector
