// The index registry's manifest store: index manifests on disk (JSON in
// _catalog/indexes/ of the primary bucket), read through a cache that
// follows other processes' writes, the work locks, and read-modify-write.
#include "vector/index_registry.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::vector {

namespace {
constexpr const char* kManifestDir = "_catalog/indexes/";
std::string ManifestKey(const std::string& name) { return IndexManifestKey(name); }
}  // namespace

std::filesystem::path IndexRegistry::LockPath(const std::string& name) const {
  return buckets_.Primary()->Root() / kManifestDir / (name + ".lock");
}

std::filesystem::path IndexRegistry::AutotuneLockPath(const std::string& name) const {
  return buckets_.Primary()->Root() / kManifestDir / (name + ".autotune.lock");
}

Result<IndexRegistry::WorkLock> IndexRegistry::LockWork(const std::string& name) {
  std::shared_ptr<std::mutex> mutex;
  {
    ReloadIfChanged();
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return NotFound("no index named '" + name + "' (GET /vectors/indexes or `lakehouse index list` lists them)");
    mutex = it->second.work_mutex;
  }
  WorkLock work;
  work.mutex = mutex;
  work.local = std::unique_lock<std::mutex>(*mutex);
  work.process = std::make_unique<ProcessLock>(LockPath(name));
  // Another process may have published while this waited, within the same
  // directory-mtime tick: re-read the manifests from disk.
  ForceReload();
  LH_RETURN_IF_ERROR(Get(name).status());  // dropped meanwhile?
  return work;
}

void IndexRegistry::ForceReload() const {
  {
    std::lock_guard lock(mutex_);
    seen_dir_mtime_ns_ = -1;
  }
  ReloadIfChanged();
}

void IndexRegistry::ReloadIfChanged() const {
  int64_t stamp = dir_.Stamp();
  std::lock_guard lock(mutex_);
  // A broken manifest fixed in place (an editor writing the file, not a
  // rename) does not touch the folder's mtime: while one is reported, read
  // again every time.
  if (ManifestDir::Current(seen_dir_mtime_ns_, stamp) && !manifest_problems_) return;
  std::map<std::string, std::string> problems;
  auto names = dir_.Names(problems);
  if (!names) return;  // cannot list it now: keep what is known
  seen_dir_mtime_ns_ = stamp;
  std::set<std::string> present;
  for (const auto& name : *names) {
    std::string key = dir_.Key(name);
    auto bytes = buckets_.Primary()->Get(key);
    if (!bytes.ok()) continue;  // removed meanwhile
    auto parsed = IndexManifestFromJson(nlohmann::json::parse(*bytes, nullptr, false));
    if (parsed.ok() && parsed->name != name) {
      parsed = InvalidArgument("it names index '" + parsed->name + "', not the one of its file name");
    }
    if (!parsed.ok()) {
      problems[key] = "unreadable index manifest: " + parsed.status().message();
      continue;
    }
    present.insert(parsed->name);
    Entry& entry = entries_[parsed->name];
    entry.manifest = std::move(*parsed);
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = present.count(it->first) ? std::next(it) : entries_.erase(it);
  }
  manifest_problems_ = !problems.empty();
  problems_.ReplaceAll(kManifestDir, problems);
}

Status IndexRegistry::Store(const IndexManifest& manifest) {
  LH_RETURN_IF_ERROR(EnsureDirectory(buckets_.Primary()->Root() / kManifestDir));
  return buckets_.Primary()->Put(ManifestKey(manifest.name), IndexManifestToJson(manifest).dump(2));
}

Result<IndexManifest> IndexRegistry::Update(const std::string& name,
                                            const std::function<Status(IndexManifest&)>& change) {
  ProcessLock lock(buckets_.Primary()->Root() / kManifestDir / ".manifests.lock");
  auto bytes = buckets_.Primary()->Get(ManifestKey(name));
  if (!bytes.ok()) return NotFound("no index named '" + name + "' (GET /vectors/indexes or `lakehouse index list` lists them)");
  LH_ASSIGN_OR_RETURN(auto manifest, IndexManifestFromJson(nlohmann::json::parse(*bytes, nullptr, false)));
  LH_RETURN_IF_ERROR(change(manifest));
  manifest.updated_at = Now();
  std::lock_guard guard(mutex_);
  LH_RETURN_IF_ERROR(Store(manifest));
  Entry& entry = entries_[name];
  entry.manifest = manifest;
  return manifest;
}

std::vector<IndexManifest> IndexRegistry::List() const {
  ReloadIfChanged();
  std::lock_guard lock(mutex_);
  std::vector<IndexManifest> out;
  for (const auto& [name, entry] : entries_) out.push_back(entry.manifest);
  return out;
}

Result<IndexManifest> IndexRegistry::Get(const std::string& name) const {
  LH_RETURN_IF_ERROR(ValidateName(name, "index name"));
  ReloadIfChanged();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return NotFound("no index named '" + name + "' (GET /vectors/indexes or `lakehouse index list` lists them)");
  return it->second.manifest;
}

}  // namespace lakehouse::vector
