// The set of storage buckets by name. Owns every ObjectStore; others hold
// shared_ptrs handed out by Get, so a bucket removed at runtime stays valid
// for whoever is still using it. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/config.h"
#include "storage/object_store.h"

namespace lakehouse::storage {

struct BucketInfo {
  std::string name;
  std::string backend;  // "local"
  std::filesystem::path root;
};

class BucketRegistry {
 public:
  explicit BucketRegistry(const std::vector<BucketConfig>& buckets);

  // NotFound names the valid buckets, so the caller can say what to use.
  Result<std::shared_ptr<ObjectStore>> Get(const std::string& name) const;
  std::shared_ptr<ObjectStore> Primary() const;
  std::vector<BucketInfo> List() const;
  std::vector<std::filesystem::path> Roots() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<ObjectStore>> stores_;  // GUARDED_BY(mutex_)
};

}  // namespace lakehouse::storage
