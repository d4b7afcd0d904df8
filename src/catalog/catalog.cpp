#include "catalog/catalog.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/manifest_dir.h"
#include "common/names.h"

namespace lakehouse::catalog {

namespace {

constexpr const char* kManifestDir = "_catalog/datasets";

// flock on _catalog/.lock: held while one process rewrites a manifest.

}  // namespace

Catalog::Catalog(storage::BucketRegistry& buckets)
    : buckets_(buckets),
      primary_(buckets.Primary()),
      files_(primary_->Root() / kManifestDir),
      dir_(primary_->Root() / kManifestDir, std::string(kManifestDir) + "/", "dataset name") {}

void Catalog::ReloadLocked() const {
  std::map<std::string, ManifestState> fresh;
  std::map<std::string, std::string> problems;
  bool changed = false;
  auto names = dir_.Names(problems);
  if (!names) {
    spdlog::error("catalog: cannot list {}", dir_.path().string());
    return;
  }
  for (const auto& name : *names) {
    std::string key = dir_.Key(name);
    auto previous = cache_.find(name);
    auto loaded = files_.Load(name, previous == cache_.end() ? nullptr : &previous->second);
    if (loaded.ok() && loaded->manifest.name != name) {
      loaded = InvalidArgument("it names dataset '" + loaded->manifest.name + "', not the one of its file name");
    }
    if (!loaded.ok()) {
      if (loaded.status().code() != StatusCode::kNotFound) problems[key] = "unreadable manifest: " + loaded.status().message();
      continue;
    }
    if (!loaded->log_problem.empty()) problems[std::string(kManifestDir) + "/" + name + ".log"] = loaded->log_problem;
    changed |= previous == cache_.end() || previous->second.checkpoint != loaded->checkpoint ||
               previous->second.log != loaded->log;
    fresh[name] = std::move(*loaded);
  }
  problems_.ReplaceAll(std::string(kManifestDir) + "/", problems);
  changed |= fresh.size() != cache_.size();
  cache_ = std::move(fresh);
  if (changed) ++generation_;
}

void Catalog::ReloadIfChanged() const {
  int64_t stamp = dir_.Stamp();
  {
    std::shared_lock lock(cache_mutex_);
    if (ManifestDir::Current(seen_dir_mtime_ns_, stamp)) return;
  }
  std::unique_lock lock(cache_mutex_);
  if (ManifestDir::Current(seen_dir_mtime_ns_, stamp)) return;
  ReloadLocked();
  seen_dir_mtime_ns_ = stamp;
}

Result<Manifest> Catalog::Get(const std::string& name) const {
  LH_RETURN_IF_ERROR(ValidateName(name, "dataset name"));
  ReloadIfChanged();
  std::shared_lock lock(cache_mutex_);
  auto it = cache_.find(name);
  if (it == cache_.end()) {
    return NotFound("dataset '" + name + "' does not exist (GET /catalog/datasets or `lakehouse catalog list` lists them)");
  }
  return it->second.manifest;
}

std::vector<Manifest> Catalog::List() const {
  ReloadIfChanged();
  std::shared_lock lock(cache_mutex_);
  std::vector<Manifest> out;
  out.reserve(cache_.size());
  for (const auto& [name, state] : cache_) out.push_back(state.manifest);
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

Result<Manifest> Catalog::Mutate(const std::string& name, const Mutation& mutate, WriteKind kind) {
  LH_RETURN_IF_ERROR(ValidateName(name, "dataset name"));
  std::lock_guard write_lock(write_mutex_);
  ProcessLock process_lock(primary_->Root() / "_catalog" / ".lock");
  LH_RETURN_IF_ERROR(EnsureDirectory(primary_->Root() / kManifestDir));
  // Re-read from disk under the lock (another process may have written
  // last): only what changed since this process last wrote it.
  auto known = written_.find(name);
  auto loaded = files_.Load(name, known == written_.end() ? nullptr : &known->second);
  if (!loaded.ok() && loaded.status().code() != StatusCode::kNotFound) {
    return loaded.status().WithContext("manifest of '" + name + "'");
  }
  ManifestState state = loaded.ok() ? std::move(*loaded) : ManifestState{};
  written_.erase(name);  // until it is known again below
  std::optional<Manifest> existing;
  AppendBase base;
  if (loaded.ok()) {
    base = AppendBase::Of(state.manifest);
    existing = std::move(state.manifest);
  }
  LH_ASSIGN_OR_RETURN(Manifest updated, mutate(std::move(existing)));
  updated.name = name;
  Status written = InvalidArgument("checkpoint");
  if (kind == WriteKind::kAppend && loaded.ok()) written = files_.Append(updated, base, state);
  if (written.code() == StatusCode::kInvalidArgument) written = files_.WriteCheckpoint(updated, state);
  LH_RETURN_IF_ERROR(written);
  written_[name] = state;
  std::unique_lock lock(cache_mutex_);
  cache_[name] = std::move(state);
  ++generation_;
  return updated;
}

Result<Manifest> Catalog::PatchMetadata(const std::string& name, const MetadataPatch& patch) {
  if (patch.expected_update_interval_s && *patch.expected_update_interval_s < 0) {
    return InvalidArgument("freshness interval must be 0 (none) or a positive number of seconds");
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
  auto loaded = files_.Load(name);
  if (loaded.status().code() == StatusCode::kNotFound) return NotFound("dataset '" + name + "' does not exist");
  Manifest removed;
  if (loaded.ok()) removed = std::move(loaded->manifest);
  LH_RETURN_IF_ERROR(files_.Remove(name));
  written_.erase(name);
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
  std::vector<std::string> keys;
  for (const auto& version : removed.versions) {
    for (const auto& file : version.files) keys.push_back(file.key);
  }
  for (const auto& pending : removed.pending_deletes) keys.push_back(pending.key);
  for (const auto& key : keys) {
    Status s = (*store)->Delete(key);
    if (s.ok()) {
      ++deleted;
    } else if (s.code() != StatusCode::kNotFound) {
      spdlog::warn("delete {}: {}", key, s.message());
    }
  }
  return deleted;
}

}  // namespace lakehouse::catalog
