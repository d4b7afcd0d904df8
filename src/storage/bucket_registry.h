// The set of storage buckets by name. Owns every ObjectStore; others hold
// shared_ptrs handed out by Get, so a bucket removed at runtime stays valid
// for whoever is still using it. Thread-safe.
//
// Buckets come from lakehouse.toml (primary and rescue always) and from
// Add() at runtime; runtime buckets are stored in the primary bucket at
// _catalog/buckets.json (written atomically) and come back after a restart.
// Generation() changes whenever the set changes, so the SQL sandbox knows
// to widen or narrow the directories it may read.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/files.h"
#include "common/problems.h"
#include "storage/object_store.h"

namespace lakehouse::storage {

struct BucketInfo {
  std::string name;
  std::string backend;  // "local"
  std::filesystem::path root;
  bool runtime = false;  // added through Add(), removable through Remove()
};

class BucketRegistry {
 public:
  // Runtime buckets may live under <primary>/_buckets or under one of
  // `runtime_parents`: a bucket root becomes a directory SQL may read, so it
  // must never be an arbitrary path such as /etc.
  explicit BucketRegistry(const std::vector<BucketConfig>& buckets,
                          std::vector<std::filesystem::path> runtime_parents = {});

  // Reads the runtime buckets stored in the primary bucket. An entry that
  // cannot be used (bad name or path, a folder that cannot be created, an
  // unreadable file) is skipped and reported in Problems(), never fatal.
  void LoadRuntimeBuckets();
  std::map<std::string, std::string> Problems() const { return problems_.Snapshot(); }

  // NotFound names the valid buckets, so the caller can say what to use.
  Result<std::shared_ptr<ObjectStore>> Get(const std::string& name) const;
  std::shared_ptr<ObjectStore> Primary() const;
  std::vector<BucketInfo> List() const;
  std::vector<std::filesystem::path> Roots() const;
  uint64_t Generation() const { return generation_.load(); }

  // Adds a local bucket; `root` defaults to <primary>/_buckets/<name>.
  // InvalidArgument for a bad name or a root inside another bucket's data,
  // Conflict when the name is taken.
  Result<BucketInfo> Add(const std::string& name, std::optional<std::filesystem::path> root);
  // PermissionDenied for primary, rescue and buckets from lakehouse.toml.
  // The caller checks that nothing lives in the bucket first; its files stay
  // on disk.
  Status Remove(const std::string& name);

  // Moving data into a bucket holds its lock shared, from the first copy to
  // the manifest swap; removing it holds the lock alone, around its checks
  // and the removal. Across processes (flock in the primary bucket), so a
  // CLI move and a server's removal cannot both succeed.
  std::unique_ptr<ProcessLock> LockForMoveInto(const std::string& name) const;
  std::unique_ptr<ProcessLock> LockForRemoval(const std::string& name) const;
  // Whether `name` is still a bucket as stored now (another process may
  // have removed it since this one loaded the list): checked under the
  // move lock just before a swap.
  bool StillExists(const std::string& name) const;

  // SecureDataFolder on every bucket's datasets/ (SQL may read it): links
  // removed and logged, write access for others taken away, and a folder
  // another user owns reported in Problems(). The server calls it at start;
  // Add() does it for the bucket it adds.
  void SecureDataFolders();

 private:
  void SecureDataFolder(const std::string& name, const std::filesystem::path& root);
  Status PersistLocked() const;  // requires mutex_ held
  // Where a runtime bucket may live: Ok, or why `dir` (resolved) may not be one.
  Status CheckRuntimeRoot(const std::filesystem::path& dir) const;  // requires mutex_ held

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<ObjectStore>> stores_;  // GUARDED_BY(mutex_)
  std::map<std::string, bool> runtime_;                         // GUARDED_BY(mutex_)
  std::atomic<uint64_t> generation_{0};
  std::vector<std::filesystem::path> runtime_parents_;
  ProblemLog problems_;
};

}  // namespace lakehouse::storage
