// Catalog operations that span buckets: moving a dataset, normalising old
// bucket names.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "catalog/catalog.h"
#include "common/crash_point.h"
#include "common/files.h"
#include "storage/object_copy.h"

namespace lakehouse::catalog {

namespace {

std::vector<std::string> FileKeys(const Manifest& m) {
  std::vector<std::string> keys;
  for (const auto& v : m.versions) {
    for (const auto& f : v.files) keys.push_back(f.key);
  }
  return keys;
}

}  // namespace

Result<Manifest> Catalog::MoveToBucket(const std::string& name, const std::string& target) {
  // One move at a time: two moves of one dataset would each delete what the
  // other just made current.
  std::lock_guard move_lock(move_mutex_);
  LH_ASSIGN_OR_RETURN(Manifest before, Get(name));
  if (before.bucket == target) return before;
  LH_ASSIGN_OR_RETURN(auto from, buckets_.Get(before.bucket));
  LH_ASSIGN_OR_RETURN(auto to, buckets_.Get(target));
  std::error_code same_error;
  if (fs::equivalent(from->Root(), to->Root(), same_error)) {
    return InvalidArgument("buckets '" + before.bucket + "' and '" + target + "' are the same folder");
  }
  // No removal of the target until the swap is done (or given up).
  auto into = buckets_.LockForMoveInto(target);
  std::vector<std::string> keys = FileKeys(before);
  // Removes our copies, unless a manifest already points at them.
  auto discard_copies = [&] {
    auto now = Get(name);
    if (now.ok() && now->bucket == target) return;
    for (const auto& k : keys) (void)to->Delete(k);
  };
  // 1. Copy and verify every file; the manifest still points at the originals.
  for (const auto& key : keys) {
    Status s = storage::CopyVerified(*from, *to, key);
    if (!s.ok()) {
      discard_copies();
      return s.WithContext("moving '" + name + "' to '" + target + "'");
    }
  }
  MaybeCrash("move:after_copy");
  if (!buckets_.StillExists(target)) {  // removed by another process before this one locked it
    discard_copies();
    return NotFound("bucket '" + target + "' was removed during the move; nothing was moved");
  }
  // 2. Swap the manifest, unless the dataset changed meanwhile.
  auto swapped = Mutate(name, [&](std::optional<Manifest> current) -> Result<Manifest> {
    if (!current) return NotFound("dataset '" + name + "' was deleted during the move");
    if (current->bucket != before.bucket || FileKeys(*current) != keys) {
      return Conflict("dataset '" + name + "' changed during the move; nothing was moved, try again");
    }
    current->bucket = target;
    return *current;
  });
  if (!swapped.ok()) {
    discard_copies();
    return swapped.status();
  }
  MaybeCrash("move:after_swap");
  // 3. The originals are no longer referenced.
  for (const auto& key : keys) {
    if (Status s = from->Delete(key); !s.ok()) spdlog::warn("move {}: old file {}: {}", name, key, s.message());
  }
  spdlog::info("moved dataset {} from bucket {} to {} ({} files)", name, before.bucket, target, keys.size());
  return swapped;
}

Result<std::vector<BucketMigration>> Catalog::MigrateBuckets() {
  std::vector<BucketMigration> changed;
  auto listed = primary_->List("_catalog/datasets/");
  if (!listed.ok()) return listed.status();
  for (const auto& obj : *listed) {
    auto bytes = primary_->Get(obj.key);
    if (!bytes.ok()) continue;
    auto raw = nlohmann::json::parse(*bytes, nullptr, false);
    if (!raw.is_object() || !raw.contains("name") || !raw["name"].is_string()) continue;
    std::string old_bucket = raw.contains("bucket") && raw["bucket"].is_string() ? raw["bucket"].get<std::string>() : "";
    if (old_bucket != "" && old_bucket != "data" && old_bucket != "local") continue;
    std::string name = raw["name"].get<std::string>();
    auto rewritten = Mutate(name, [](std::optional<Manifest> m) -> Result<Manifest> {
      if (!m) return NotFound("gone");
      m->bucket = "primary";
      return *m;
    });
    if (rewritten.ok()) changed.push_back({name, old_bucket.empty() ? "(none)" : old_bucket, "primary"});
  }
  return changed;
}

int Catalog::SweepUnreferencedFiles() {
  std::lock_guard write_lock(write_mutex_);
  ProcessLock process_lock(primary_->Root() / "_catalog" / ".lock");
  std::map<std::string, std::set<std::string>> referenced;  // bucket -> keys
  for (const auto& m : List()) {
    auto& keys = referenced[m.bucket];
    for (const auto& v : m.versions) {
      for (const auto& f : v.files) keys.insert(f.key);
    }
    for (const auto& p : m.pending_deletes) keys.insert(p.key);
  }
  // A manifest that exists but cannot be read still owns its files.
  std::set<std::string> unreadable;
  for (const auto& [what, why] : Problems()) {
    std::string file = fs::path(what).filename().string();
    unreadable.insert(file.substr(0, file.rfind('.')));
  }
  int removed = 0;
  for (const auto& bucket : buckets_.List()) {
    auto store = buckets_.Get(bucket.name);
    if (!store.ok()) continue;
    auto listed = (*store)->List("datasets/");
    if (!listed.ok()) continue;
    for (const auto& object : *listed) {
      std::string rest = object.key.substr(std::string("datasets/").size());
      std::string dataset = rest.substr(0, rest.find('/'));
      if (referenced[bucket.name].count(object.key) || unreadable.count(dataset)) continue;
      if (Status s = (*store)->Delete(object.key); s.ok()) {
        ++removed;
        spdlog::info("bucket {}: removed {}, which no manifest points at", bucket.name, object.key);
      }
    }
  }
  return removed;
}

std::vector<std::string> Catalog::DatasetsInBucket(const std::string& bucket) const {
  std::vector<std::string> names;
  for (const auto& m : List()) {
    if (m.bucket == bucket) names.push_back(m.name);
  }
  return names;
}

}  // namespace lakehouse::catalog
