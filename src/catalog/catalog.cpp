#include "catalog/catalog.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::catalog {

namespace {

constexpr const char* kManifestDir = "_catalog/datasets";

// Changes within the file system's timestamp granularity can share one mtime,
// so a directory modified this recently is always rescanned.
constexpr int64_t kRecentChangeNs = 50'000'000;

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t DirMtimeNs(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// flock on _catalog/.lock: held while one process rewrites a manifest.

}  // namespace

Catalog::Catalog(storage::BucketRegistry& buckets)
    : buckets_(buckets), primary_(buckets.Primary()) {}

std::string Catalog::ManifestKey(const std::string& name) const {
  return std::string(kManifestDir) + "/" + name + ".json";
}

void Catalog::ReloadLocked() const {
  std::map<std::string, Manifest> fresh;
  std::map<std::string, std::string> problems;
  size_t fingerprint = 0;
  auto listed = primary_->List(std::string(kManifestDir) + "/");
  if (!listed.ok()) {
    spdlog::error("catalog: {}", listed.status().message());
    return;
  }
  for (const auto& obj : *listed) {
    if (obj.key.size() < 5 || obj.key.compare(obj.key.size() - 5, 5, ".json") != 0) continue;
    auto bytes = primary_->Get(obj.key);
    if (!bytes.ok()) continue;  // removed between list and read
    fingerprint = fingerprint * 31 + std::hash<std::string>{}(*bytes);
    auto parsed = nlohmann::json::parse(*bytes, nullptr, false);
    auto manifest = parsed.is_discarded() ? Result<Manifest>(InvalidArgument("not valid JSON")) : ManifestFromJson(parsed);
    if (manifest.ok() && obj.key != ManifestKey(manifest->name)) {
      manifest = InvalidArgument("it names dataset '" + manifest->name + "', not the one of its file name");
    }
    if (!manifest.ok()) {
      problems[obj.key] = "unreadable manifest: " + manifest.status().message();
      continue;
    }
    fresh[manifest->name] = std::move(*manifest);
  }
  problems_.ReplaceAll(std::string(kManifestDir) + "/", problems);
  cache_ = std::move(fresh);
  if (fingerprint != fingerprint_) ++generation_;
  fingerprint_ = fingerprint;
}

void Catalog::ReloadIfChanged() const {
  fs::path dir = primary_->Root() / kManifestDir;
  int64_t mtime = DirMtimeNs(dir);
  bool recent = NowNs() - mtime < kRecentChangeNs;
  {
    std::shared_lock lock(cache_mutex_);
    if (mtime == seen_dir_mtime_ns_ && !recent) return;
  }
  std::unique_lock lock(cache_mutex_);
  if (mtime == seen_dir_mtime_ns_ && !recent) return;
  ReloadLocked();
  seen_dir_mtime_ns_ = mtime;
}

Result<Manifest> Catalog::Get(const std::string& name) const {
  LH_RETURN_IF_ERROR(ValidateName(name, "dataset name"));
  ReloadIfChanged();
  std::shared_lock lock(cache_mutex_);
  auto it = cache_.find(name);
  if (it == cache_.end()) {
    return NotFound("dataset '" + name + "' does not exist; GET /catalog/datasets lists them");
  }
  return it->second;
}

std::vector<Manifest> Catalog::List() const {
  ReloadIfChanged();
  std::shared_lock lock(cache_mutex_);
  std::vector<Manifest> out;
  out.reserve(cache_.size());
  for (const auto& [name, m] : cache_) out.push_back(m);
  return out;
}

std::map<std::string, std::string> Catalog::Problems() const {
  ReloadIfChanged();
  return problems_.Snapshot();
}

uint64_t Catalog::Generation() const {
  ReloadIfChanged();
  std::shared_lock lock(cache_mutex_);
  return generation_;
}

Result<Manifest> Catalog::Mutate(const std::string& name, const Mutation& mutate) {
  LH_RETURN_IF_ERROR(ValidateName(name, "dataset name"));
  std::lock_guard write_lock(write_mutex_);
  ProcessLock process_lock(primary_->Root() / "_catalog" / ".lock");
  // Re-read from disk under the lock: another process may have written last.
  std::optional<Manifest> existing;
  auto bytes = primary_->Get(ManifestKey(name));
  if (bytes.ok()) {
    auto parsed = ManifestFromJson(nlohmann::json::parse(*bytes, nullptr, false));
    if (!parsed.ok()) return parsed.status().WithContext("manifest of '" + name + "'");
    existing = std::move(*parsed);
  }
  LH_ASSIGN_OR_RETURN(Manifest updated, mutate(std::move(existing)));
  updated.name = name;
  LH_RETURN_IF_ERROR(primary_->Put(ManifestKey(name), ManifestToJson(updated).dump(2)));
  std::unique_lock lock(cache_mutex_);
  cache_[name] = updated;
  ++generation_;
  return updated;
}

Result<Manifest> Catalog::PatchMetadata(const std::string& name, const MetadataPatch& patch) {
  if (patch.expected_update_interval_s && *patch.expected_update_interval_s < 0) {
    return InvalidArgument("freshness interval must be 0 (none) or a positive number of seconds");
  }
  if (patch.refresh_policy && *patch.refresh_policy != "manual" &&
      *patch.refresh_policy != "on_append" && *patch.refresh_policy != "scheduled") {
    return InvalidArgument("refresh_policy must be manual, on_append or scheduled");
  }
  if (patch.schema_policy && *patch.schema_policy != "evolve" && *patch.schema_policy != "strict" &&
      *patch.schema_policy != "new_dataset") {
    return InvalidArgument("schema_policy must be evolve, strict or new_dataset");
  }
  return Mutate(name, [&](std::optional<Manifest> existing) -> Result<Manifest> {
    if (!existing) return NotFound("dataset '" + name + "' does not exist");
    Manifest m = std::move(*existing);
    for (const auto& [column, level] : patch.column_sensitivity) {
      bool found = false;
      for (auto& c : m.columns) {
        if (c.name != column) continue;
        c.sensitivity = level;
        c.sensitivity_overridden = true;
        found = true;
      }
      if (!found) {
        return InvalidArgument("dataset '" + name + "' has no column '" + column + "'");
      }
    }
    if (patch.description) m.description = *patch.description;
    if (patch.owner) m.owner = *patch.owner;
    if (patch.sensitivity) {
      m.sensitivity = *patch.sensitivity;
      m.sensitivity_overridden = true;
    }
    if (patch.tags) m.tags = *patch.tags;
    if (patch.expected_update_interval_s) {
      m.expected_update_interval_s = *patch.expected_update_interval_s;
    }
    if (patch.refresh_policy) m.refresh_policy = *patch.refresh_policy;
    if (patch.schema_policy) m.schema_policy = *patch.schema_policy;
    return m;
  });
}

Result<int> Catalog::Delete(const std::string& name) {
  LH_RETURN_IF_ERROR(ValidateName(name, "dataset name"));
  // Files go while the lock is held: an ingest re-creating the name right
  // after would otherwise reuse a key and lose its file to this delete.
  std::lock_guard write_lock(write_mutex_);
  ProcessLock process_lock(primary_->Root() / "_catalog" / ".lock");
  auto bytes = primary_->Get(ManifestKey(name));
  if (!bytes.ok()) return NotFound("dataset '" + name + "' does not exist");
  Manifest removed;
  auto parsed = ManifestFromJson(nlohmann::json::parse(*bytes, nullptr, false));
  if (parsed.ok()) removed = std::move(*parsed);
  LH_RETURN_IF_ERROR(primary_->Delete(ManifestKey(name)));
  {
    std::unique_lock lock(cache_mutex_);
    cache_.erase(name);
    ++generation_;
  }
  auto store = buckets_.Get(removed.bucket);
  if (!store.ok()) {
    spdlog::warn("delete {}: {}; its files stay on disk", name, store.status().message());
    return 0;
  }
  int deleted = 0;
  for (const auto& version : removed.versions) {
    for (const auto& file : version.files) {
      Status s = (*store)->Delete(file.key);
      if (s.ok()) {
        ++deleted;
      } else {
        spdlog::warn("delete {}: {}", file.key, s.message());
      }
    }
  }
  return deleted;
}

}  // namespace lakehouse::catalog
