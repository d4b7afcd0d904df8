#include "storage/bucket_registry.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/names.h"
#include "storage/local_store.h"

namespace lakehouse::storage {

namespace {

constexpr const char* kRuntimeBucketsKey = "_catalog/buckets.json";

bool IsProtected(const std::string& name) { return name == "primary" || name == "rescue"; }

}  // namespace

BucketRegistry::BucketRegistry(const std::vector<BucketConfig>& buckets,
                               std::vector<std::filesystem::path> runtime_parents)
    : runtime_parents_(std::move(runtime_parents)) {
  for (const auto& b : buckets) {
    stores_[b.name] = std::make_shared<LocalStore>(b.root);
    runtime_[b.name] = false;
  }
}

std::unique_ptr<ProcessLock> BucketRegistry::LockForMoveInto(const std::string& name) const {
  return std::make_unique<ProcessLock>(Primary()->Root() / "_catalog" / "buckets" / (name + ".lock"),
                                       ProcessLock::Mode::kShared);
}

std::unique_ptr<ProcessLock> BucketRegistry::LockForRemoval(const std::string& name) const {
  return std::make_unique<ProcessLock>(Primary()->Root() / "_catalog" / "buckets" / (name + ".lock"));
}

bool BucketRegistry::StillExists(const std::string& name) const {
  {
    std::shared_lock lock(mutex_);
    auto it = runtime_.find(name);
    if (!stores_.count(name)) return false;
    if (it == runtime_.end() || !it->second) return true;  // from lakehouse.toml: never removed at runtime
  }
  auto bytes = Primary()->Get(kRuntimeBucketsKey);
  if (!bytes.ok()) return false;
  auto parsed = nlohmann::json::parse(*bytes, nullptr, false);
  if (!parsed.is_array()) return false;
  for (const auto& entry : parsed) {
    if (entry.is_object() && entry.contains("name") && entry["name"] == name) return true;
  }
  return false;
}

void BucketRegistry::LoadRuntimeBuckets() {
  auto bytes = Primary()->Get(kRuntimeBucketsKey);
  if (!bytes.ok()) return;  // none added yet
  auto parsed = nlohmann::json::parse(*bytes, nullptr, false);
  std::map<std::string, std::string> problems;
  if (!parsed.is_array()) {
    problems[kRuntimeBucketsKey] = "not a JSON array of {name, root}; no runtime bucket was loaded";
    problems_.ReplaceAll(kRuntimeBucketsKey, problems);
    return;
  }
  std::unique_lock lock(mutex_);
  size_t index = 0;
  for (const auto& entry : parsed) {
    std::string what = std::string(kRuntimeBucketsKey) + " entry " + std::to_string(index++);
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("root") ||
        !entry["root"].is_string()) {
      problems[what] = "needs a string name and root";
      continue;
    }
    std::string name = entry["name"].get<std::string>();
    std::string root = entry["root"].get<std::string>();
    Status s = ValidateName(name, "bucket name");
    if (s.ok()) s = ValidatePathText(root, "bucket path");
    if (s.ok() && stores_.count(name)) s = Conflict("bucket '" + name + "' is defined twice");
    if (s.ok()) s = CheckRuntimeRoot(root);
    if (s.ok()) s = EnsureDirectory(root);
    if (!s.ok()) {
      problems[what] = s.message();
      continue;
    }
    stores_[name] = std::make_shared<LocalStore>(root);
    runtime_[name] = true;
  }
  ++generation_;
  problems_.ReplaceAll(kRuntimeBucketsKey, problems);
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
  for (const auto& [name, store] : stores_) out.push_back({name, "local", store->Root(), runtime_.at(name)});
  return out;
}

std::vector<std::filesystem::path> BucketRegistry::Roots() const {
  std::vector<std::filesystem::path> out;
  for (const auto& b : List()) out.push_back(b.root);
  return out;
}

Status BucketRegistry::PersistLocked() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, store] : stores_) {
    if (runtime_.at(name)) list.push_back({{"name", name}, {"root", store->Root().string()}});
  }
  return stores_.at("primary")->Put(kRuntimeBucketsKey, list.dump(2));
}

Result<BucketInfo> BucketRegistry::Add(const std::string& name, std::optional<std::filesystem::path> root) {
  LH_RETURN_IF_ERROR(ValidateName(name, "bucket name"));
  std::unique_lock lock(mutex_);
  if (stores_.count(name)) return Conflict("bucket '" + name + "' already exists");
  std::filesystem::path dir = root ? *root : stores_.at("primary")->Root() / "_buckets" / name;
  LH_RETURN_IF_ERROR(ValidatePathText(dir.string(), "bucket path"));
  if (dir.is_relative()) return InvalidArgument("a bucket path must be absolute");
  // Resolve symlinks and "..", then require an allowed parent.
  std::error_code ec;
  std::filesystem::path requested = dir;
  dir = std::filesystem::weakly_canonical(dir, ec);
  if (ec) return InvalidArgument("bucket path " + requested.string() + " cannot be resolved: " + ec.message());
  LH_RETURN_IF_ERROR(CheckRuntimeRoot(dir));
  LH_RETURN_IF_ERROR(EnsureDirectory(dir));
  stores_[name] = std::make_shared<LocalStore>(dir);
  runtime_[name] = true;
  if (Status s = PersistLocked(); !s.ok()) {
    stores_.erase(name);
    runtime_.erase(name);
    return s;
  }
  ++generation_;
  SecureDataFolder(name, dir);
  return BucketInfo{name, "local", dir, true};
}

void BucketRegistry::SecureDataFolders() {
  for (const auto& bucket : List()) SecureDataFolder(bucket.name, bucket.root);
}

void BucketRegistry::SecureDataFolder(const std::string& name, const std::filesystem::path& root) {
  auto report = lakehouse::SecureDataFolder(root / "datasets");
  for (const auto& link : report.links_removed) {
    spdlog::warn("bucket {}: removed symlink {}; data files are never links", name, link.string());
  }
  for (const auto& path : report.tightened) {
    spdlog::warn("bucket {}: {} was writable by other users; now only its owner can write it", name, path.string());
  }
  std::string key = "bucket " + name + " data folder";
  if (report.is_link) {
    std::error_code ec;
    problems_.Report(key, (root / "datasets").string() + " is a symbolic link (to " +
                              std::filesystem::read_symlink(root / "datasets", ec).string() +
                              "); a bucket's data folder must be a real folder: point the bucket's root at the real "
                              "place instead");
  } else if (report.not_ours.empty()) {
    problems_.Clear(key);
  } else {
    size_t more = report.not_ours.size() - 1;
    problems_.Report(key, report.not_ours.front().string() +
                              (more ? " (and " + std::to_string(more) + " more)" : std::string()) +
                              " belongs to another user, who could place links in it that SQL would follow; "
                              "chown it to the server's user");
  }
}

Status BucketRegistry::CheckRuntimeRoot(const std::filesystem::path& dir) const {
  if (dir.is_relative()) return InvalidArgument("a bucket path must be absolute");
  std::filesystem::path primary_root = stores_.at("primary")->Root();
  std::vector<std::filesystem::path> parents = runtime_parents_;
  parents.push_back(primary_root / "_buckets");
  bool allowed = false;
  std::string allowed_list;
  std::error_code ec;
  for (const auto& parent : parents) {
    auto canonical_parent = std::filesystem::weakly_canonical(parent, ec);
    if (ec) continue;
    auto rel = dir.lexically_relative(canonical_parent);
    allowed |= !rel.empty() && *rel.begin() != ".." && rel != ".";
    allowed_list += (allowed_list.empty() ? "" : ", ") + canonical_parent.string();
  }
  if (!allowed) {
    return PermissionDenied("bucket path " + dir.string() + " is not under an allowed parent (" + allowed_list +
                            "); add one to storage.runtime_bucket_parents in lakehouse.toml");
  }
  // A bucket inside another bucket's data would see that bucket's files as its own.
  for (const auto& [other, store] : stores_) {
    auto rel = dir.lexically_relative(store->Root());
    bool inside = !rel.empty() && *rel.begin() != "..";
    bool under_buckets = other == "primary" && !rel.empty() && *rel.begin() == "_buckets";
    if ((inside && !under_buckets) || dir == store->Root()) {
      return InvalidArgument("path " + dir.string() + " is inside bucket '" + other + "'");
    }
    auto reverse = store->Root().lexically_relative(dir);
    if (!reverse.empty() && *reverse.begin() != "..") {
      return InvalidArgument("path " + dir.string() + " contains bucket '" + other + "'");
    }
  }
  return Status::Ok();
}

Status BucketRegistry::Remove(const std::string& name) {
  LH_RETURN_IF_ERROR(ValidateName(name, "bucket name"));
  std::unique_lock lock(mutex_);
  auto it = stores_.find(name);
  if (it == stores_.end()) return NotFound("unknown bucket '" + name + "'");
  if (IsProtected(name)) return PermissionDenied("bucket '" + name + "' cannot be removed");
  if (!runtime_.at(name)) {
    return PermissionDenied("bucket '" + name + "' is defined in lakehouse.toml; remove it there");
  }
  auto store = it->second;
  stores_.erase(it);
  runtime_.erase(name);
  if (Status s = PersistLocked(); !s.ok()) {
    stores_[name] = store;
    runtime_[name] = true;
    return s;
  }
  ++generation_;
  return Status::Ok();
}

}  // namespace lakehouse::storage
