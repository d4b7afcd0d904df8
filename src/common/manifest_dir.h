// A folder of JSON manifests, one `<name>.json` per thing (datasets, vector
// indexes), written by several processes with atomic renames and read from
// a cache in each. The catalog and the index registry both sit on it, so
// they agree on when a cache is stale and on which files are manifests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lakehouse {

class ManifestDir {
 public:
  // `what` names one manifest in messages ("dataset name", "index name").
  ManifestDir(std::filesystem::path dir, std::string key_prefix, std::string what)
      : dir_(std::move(dir)), key_prefix_(std::move(key_prefix)), what_(std::move(what)) {}

  // The folder's change stamp (its mtime); 0 when it does not exist yet.
  int64_t Stamp() const;
  // Whether a cache read at stamp `seen` is still good now at `stamp`. A
  // folder changed within the file system's timestamp granularity can show
  // one mtime for two changes, so a recent change always reads again.
  static bool Current(int64_t seen, int64_t stamp);

  // The names of its manifests (`<name>.json`, temporaries and logs
  // skipped); none when the folder does not exist yet, nullopt when it
  // cannot be listed (the caller keeps what it has). Files whose name is
  // not a valid name go to `problems`, by key.
  std::optional<std::vector<std::string>> Names(std::map<std::string, std::string>& problems) const;
  // The key of a manifest, as problems are reported ("_catalog/indexes/x.json").
  std::string Key(std::string_view name) const { return key_prefix_ + std::string(name) + ".json"; }
  const std::filesystem::path& path() const { return dir_; }

  // Changes closer together than this may share an mtime.
  static constexpr int64_t kRecentChangeNs = 50'000'000;

 private:
  std::filesystem::path dir_;
  std::string key_prefix_;
  std::string what_;
};

}  // namespace lakehouse
