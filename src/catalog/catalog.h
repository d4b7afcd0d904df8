// The catalog: owns the dataset manifests (in the primary bucket under
// _catalog/datasets/) and keeps an in-memory copy of them.
//
// Thread-safe. Writers are serialised in-process by a mutex and across
// processes (a CLI ingest beside a running server) by flock on
// _catalog/.lock; readers notice changes another process made by the
// directory's mtime and reload. Generation() changes whenever the set of
// manifests may have changed, so the SQL engine knows when to rebuild views.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "catalog/manifest.h"
#include "catalog/manifest_files.h"
#include "common/manifest_dir.h"
#include "common/problems.h"
#include "storage/bucket_registry.h"

namespace lakehouse::catalog {

struct MetadataPatch {
  std::optional<std::string> description;
  std::optional<std::string> owner;
  std::optional<Sensitivity> sensitivity;
  std::optional<std::vector<std::string>> tags;
  std::optional<int64_t> expected_update_interval_s;
  std::optional<std::string> schema_policy;
  std::map<std::string, Sensitivity> column_sensitivity;
};

struct BucketMigration {
  std::string dataset;
  std::string from;  // the legacy value ("(none)" when the field was missing or empty)
  std::string to;
};

class Catalog {
 public:
  explicit Catalog(storage::BucketRegistry& buckets);

  Result<Manifest> Get(const std::string& name) const;
  std::vector<Manifest> List() const;  // sorted by name

  // Read-modify-write of one manifest under the write lock. `mutate` gets the
  // stored manifest (nullopt when the dataset is new) and returns the one to
  // store, or a Status to abort without any change. It may move staged files
  // into the bucket; the manifest is written after it returns.
  using Mutation = std::function<Result<Manifest>(std::optional<Manifest> existing)>;
  // kAppend: the mutation only adds files to the current version (and sets
  // small fields); it is written as one line of the dataset's append log
  // (catalog/manifest_files.h), whatever the number of files before.
  // Anything else rewrites the whole manifest.
  enum class WriteKind { kCheckpoint, kAppend };
  Result<Manifest> Mutate(const std::string& name, const Mutation& mutate, WriteKind kind = WriteKind::kCheckpoint);

  Result<Manifest> PatchMetadata(const std::string& name, const MetadataPatch& patch);

  // Removes the manifest first (the dataset disappears atomically), then the
  // data files of every version. Returns how many files were deleted.
  Result<int> Delete(const std::string& name);

  uint64_t Generation() const;

  // Moves every file of every version to `target`: copy and verify (SHA-256),
  // swap the manifest, then delete the originals. A crash at any step leaves
  // one complete copy that the manifest points at; a dataset that changes
  // during the move gets Conflict and stays where it was.
  Result<Manifest> MoveToBucket(const std::string& name, const std::string& target);

  // Rewrites manifests whose bucket is missing, empty or a legacy name
  // ("data", "local") to "primary". Idempotent; returns what it changed.
  Result<std::vector<BucketMigration>> MigrateBuckets();

  std::vector<std::string> DatasetsInBucket(const std::string& bucket) const;

  // Removes data files under datasets/ of every bucket that no manifest
  // points at (copies left by a killed bucket move, files of a killed
  // commit), holding the write lock so no commit is in between. Datasets
  // whose manifest cannot be read are left alone. Returns how many it removed.
  int SweepUnreferencedFiles();

  // Manifests skipped because they cannot be read (file key -> why). The
  // catalog works without them; fixing or removing the file brings it back.
  std::map<std::string, std::string> Problems() const;

 private:
  void ReloadIfChanged() const;
  void ReloadLocked() const;  // requires cache_mutex_ held exclusively

  storage::BucketRegistry& buckets_;
  std::shared_ptr<storage::ObjectStore> primary_;
  ManifestFiles files_;
  ManifestDir dir_;  // _catalog/datasets: which files are manifests, when the cache is stale
  std::mutex write_mutex_;  // serialises Mutate/Delete in this process
  // Each manifest as this process last wrote it, so the next write reads
  // only what others appended since; GUARDED_BY(write_mutex_).
  std::map<std::string, ManifestState> written_;
  std::mutex move_mutex_;   // serialises MoveToBucket
  mutable std::shared_mutex cache_mutex_;
  mutable std::map<std::string, ManifestState> cache_;  // GUARDED_BY(cache_mutex_)
  mutable int64_t seen_dir_mtime_ns_ = -1;             // GUARDED_BY(cache_mutex_)
  mutable uint64_t generation_ = 0;                    // GUARDED_BY(cache_mutex_)
  mutable ProblemLog problems_;
};

}  // namespace lakehouse::catalog
