// Moving an index between buckets, and sweeping what a killed move left.
#include <spdlog/spdlog.h>

#include "common/crash_point.h"
#include "common/files.h"
#include "common/names.h"
#include "storage/object_copy.h"
#include "vector/autotune/trial_journal.h"
#include "vector/eval/eval_store.h"
#include "vector/index_registry.h"

namespace lakehouse::vector {

Result<IndexManifest> IndexRegistry::MoveToBucket(const std::string& name, const std::string& target) {
  LH_RETURN_IF_ERROR(ValidateName(name, "index name"));
  LH_ASSIGN_OR_RETURN(auto work, LockWork(name));
  LH_ASSIGN_OR_RETURN(auto before, Get(name));
  // Already there: nothing moves, and a placement stays a placement.
  if (before.bucket == target) return before;
  auto dataset = catalog_.Get(before.dataset);
  return MoveLocked(name, target, dataset.ok() && dataset->bucket == target);
}

Result<std::optional<IndexManifest>> IndexRegistry::FollowDataset(const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto work, LockWork(name));
  LH_ASSIGN_OR_RETURN(auto before, Get(name));
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(before.dataset));
  if (!before.follows_dataset || before.bucket == dataset.bucket) return std::optional<IndexManifest>();
  LH_ASSIGN_OR_RETURN(auto moved, MoveLocked(name, dataset.bucket, true));
  return std::optional<IndexManifest>(std::move(moved));
}

Result<IndexManifest> IndexRegistry::MoveLocked(const std::string& name, const std::string& target,
                                                bool follows_dataset) {
  LH_ASSIGN_OR_RETURN(auto before, Get(name));
  // A run's next journal lines would land in the bucket left behind.
  ProcessLock tuning(AutotuneLockPath(name), ProcessLock::Mode::kTry);
  if (before.bucket != target && !tuning.held()) {
    return Conflict("index '" + name + "' is being autotuned; move it when the run is done (GET /vectors/indexes/" +
                    name + "/autotune)");
  }
  if (before.bucket == target) {
    return Update(name, [&](IndexManifest& m) {
      m.follows_dataset = follows_dataset;
      return Status::Ok();
    });
  }
  LH_ASSIGN_OR_RETURN(auto from, buckets_.Get(before.bucket));
  LH_ASSIGN_OR_RETURN(auto to, buckets_.Get(target));
  std::error_code same_error;
  if (std::filesystem::equivalent(from->Root(), to->Root(), same_error)) {
    return InvalidArgument("buckets '" + before.bucket + "' and '" + target + "' are the same folder");
  }
  if (!before.active) {
    return Conflict("index '" + name + "' has no built generation (status " + IndexStatusName(before.status) +
                    "); move it once it is ready, or drop it");
  }
  if (before.pending_embedder || before.pending_backend) {
    return Conflict("index '" + name + "' is building a new generation (another model or backend); move it once "
                    "that is done");
  }
  const IndexGeneration generation = *before.active;
  std::vector<std::string> keys;
  for (const auto& key : GenerationFiles(generation)) {
    // The journal exists only after a crash in the middle of an append.
    if (key == generation.text_file + "-journal" && !from->Stat(key).ok()) continue;
    keys.push_back(key);
  }
  // The eval sets and the trial journal kept with the index go with it.
  if (auto sets = from->List(eval::EvalSetsKey(name)); sets.ok()) {
    for (const auto& object : *sets) keys.push_back(object.key);
  }
  if (from->Stat(autotune::TrialsKey(name)).ok()) keys.push_back(autotune::TrialsKey(name));
  auto discard_copies = [&] {
    for (const auto& key : keys) (void)to->Delete(key);
  };
  // No removal of the target until the swap is done (or given up).
  auto into = buckets_.LockForMoveInto(target);
  // 1. Copy and verify; the manifest still points at the originals.
  for (const auto& key : keys) {
    if (Status s = storage::CopyVerified(*from, *to, key); !s.ok()) {
      discard_copies();
      return s.WithContext("moving index '" + name + "' to '" + target + "'");
    }
  }
  MaybeCrash("index_move:after_copy");
  // 2. Swap the manifest (the work lock keeps its generation as it was).
  auto swapped = Update(name, [&](IndexManifest& m) {
    if (!m.active || m.active->number != generation.number || m.bucket != before.bucket) {
      return Conflict("index '" + name + "' changed during the move; nothing was moved, try again");
    }
    // Removed meanwhile (perhaps by another process): the copies would be
    // in a folder no bucket names.
    if (!buckets_.StillExists(target)) {
      return NotFound("bucket '" + target + "' was removed during the move; nothing was moved");
    }
    m.bucket = target;
    m.follows_dataset = follows_dataset;
    return Status::Ok();
  });
  if (!swapped.ok()) {
    discard_copies();
    return swapped.status();
  }
  MaybeCrash("index_move:after_swap");
  // 3. Searches read the copies from now on: the served generation keeps
  // its vectors and chunks (in memory) and opens the moved full-text file.
  {
    std::shared_ptr<const LoadedIndex> loaded;
    {
      std::lock_guard lock(mutex_);
      if (auto it = entries_.find(name); it != entries_.end()) loaded = it->second.loaded;
    }
    std::shared_ptr<const LoadedIndex> moved;
    if (loaded && loaded->generation.number == generation.number) {
      auto path = to->LocalPath(generation.text_file);
      auto text = path ? TextIndex::Open(*path, false) : Result<std::unique_ptr<TextIndex>>(Internal("not local"));
      if (text.ok()) {
        auto copy = std::make_shared<LoadedIndex>(*loaded);
        copy->text = std::move(*text);
        copy->bucket = target;
        moved = std::move(copy);
      }
    }
    std::lock_guard lock(mutex_);
    // Without a copy, the next search loads the generation from the new bucket.
    if (auto it = entries_.find(name); it != entries_.end()) it->second.loaded = moved;
  }
  // 4. The originals are no longer referenced.
  for (const auto& key : keys) {
    if (Status s = from->Delete(key); !s.ok()) spdlog::warn("move index {}: old file {}: {}", name, key, s.message());
  }
  if (auto dir = from->LocalPath(IndexDirKey(name))) {
    std::error_code ec;
    if (auto sets = from->LocalPath(eval::EvalSetsKey(name))) std::filesystem::remove(*sets, ec);
    std::filesystem::remove(*dir, ec);  // only if empty
  }
  spdlog::info("moved index {} from bucket {} to {} ({} files)", name, before.bucket, target, keys.size());
  return swapped;
}

void IndexRegistry::SweepMisplacedFiles() {
  for (const auto& bucket : buckets_.List()) {
    std::error_code ec;
    std::filesystem::path vectors = bucket.root / "vectors";
    for (const auto& entry : std::filesystem::directory_iterator(vectors, ec)) {
      std::error_code type_error;
      if (!entry.is_directory(type_error) || entry.is_symlink(type_error)) continue;
      std::string name = entry.path().filename().string();
      if (!ValidateName(name, "index name").ok()) continue;
      // A move or drop of this index in another process may be under way.
      ProcessLock lock(LockPath(name), ProcessLock::Mode::kTry);
      if (!lock.held()) continue;
      ForceReload();
      auto manifest = Get(name);
      bool misplaced = manifest.ok() ? manifest->bucket != bucket.name
                                     // No manifest at all (a hand-broken one keeps its files).
                                     : !buckets_.Primary()->Stat(IndexManifestKey(name)).ok();
      if (!misplaced) continue;
      if (manifest.ok()) {
        // Two bucket names for one folder: the files are where the manifest says.
        auto home = buckets_.Get(manifest->bucket);
        std::error_code same_error;
        if (!home.ok() || std::filesystem::equivalent((*home)->Root(), bucket.root, same_error)) continue;
      }
      std::error_code remove_error;
      uintmax_t removed = std::filesystem::remove_all(entry.path(), remove_error);
      if (!remove_error && removed > 0) {
        spdlog::info("bucket {}: removed {} files of index {} that its manifest does not point at (a stopped move "
                     "or drop left them)",
                     bucket.name, removed, name);
      }
    }
  }
}

}  // namespace lakehouse::vector
