#include "storage/bucket_registry.h"

#include <mutex>

#include "storage/local_store.h"

namespace lakehouse::storage {

BucketRegistry::BucketRegistry(const std::vector<BucketConfig>& buckets) {
  for (const auto& b : buckets) stores_[b.name] = std::make_shared<LocalStore>(b.root);
}

Result<std::shared_ptr<ObjectStore>> BucketRegistry::Get(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = stores_.find(name);
  if (it != stores_.end()) return it->second;
  std::string valid;
  for (const auto& [n, s] : stores_) valid += (valid.empty() ? "" : ", ") + n;
  return NotFound("unknown bucket '" + name + "'; valid buckets: " + valid);
}

std::shared_ptr<ObjectStore> BucketRegistry::Primary() const {
  std::shared_lock lock(mutex_);
  return stores_.at("primary");
}

std::vector<BucketInfo> BucketRegistry::List() const {
  std::shared_lock lock(mutex_);
  std::vector<BucketInfo> out;
  for (const auto& [name, store] : stores_) out.push_back({name, "local", store->Root()});
  return out;
}

std::vector<std::filesystem::path> BucketRegistry::Roots() const {
  std::vector<std::filesystem::path> out;
  for (const auto& b : List()) out.push_back(b.root);
  return out;
}

}  // namespace lakehouse::storage
