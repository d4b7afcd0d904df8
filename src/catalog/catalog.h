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
#include "common/problems.h"
#include "storage/bucket_registry.h"

namespace lakehouse::catalog {

struct MetadataPatch {
  std::optional<std::string> description;
  std::optional<std::string> owner;
  std::optional<Sensitivity> sensitivity;
  std::optional<std::vector<std::string>> tags;
  std::optional<int64_t> expected_update_interval_s;
  std::optional<std::string> refresh_policy;
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
  Result<Manifest> Mutate(const std::string& name, const Mutation& mutate);

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

  // Manifests skipped because they cannot be read (file key -> why). The
  // catalog works without them; fixing or removing the file brings it back.
  std::map<std::string, std::string> Problems() const;

 private:
  std::string ManifestKey(const std::string& name) const;
  void ReloadIfChanged() const;
  void ReloadLocked() const;  // requires cache_mutex_ held exclusively

  storage::BucketRegistry& buckets_;
  std::shared_ptr<storage::ObjectStore> primary_;
  std::mutex write_mutex_;  // serialises Mutate/Delete in this process
  std::mutex move_mutex_;   // serialises MoveToBucket
  mutable std::shared_mutex cache_mutex_;
  mutable std::map<std::string, Manifest> cache_;      // GUARDED_BY(cache_mutex_)
  mutable int64_t seen_dir_mtime_ns_ = -1;             // GUARDED_BY(cache_mutex_)
  mutable uint64_t generation_ = 0;                    // GUARDED_BY(cache_mutex_)
  mutable ProblemLog problems_;
  mutable size_t fingerprint_ = 0;  // of the manifest bytes last loaded; GUARDED_BY(cache_mutex_)
};

}  // namespace lakehouse::catalog
