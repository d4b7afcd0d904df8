#include "storage/local_store.h"

#include <algorithm>

#include "common/files.h"

namespace lakehouse::storage {

namespace {
constexpr const char* kStagingDirName = "_staging";
}

Status ValidateKey(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') {
    return InvalidArgument("object key '" + std::string(key) + "' must be a relative file path");
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos) {
      return InvalidArgument("object key '" + std::string(key) + "' has an invalid segment");
    }
    start = end + 1;
  }
  return Status::Ok();
}

LocalStore::LocalStore(std::filesystem::path root) : root_(std::move(root)) {}

Status LocalStore::Put(std::string_view key, std::string_view bytes) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  return AtomicWriteFile(root_ / key, bytes);
}

Status LocalStore::Append(std::string_view key, std::string_view bytes) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  return AppendDurably(root_ / key, bytes);
}

Status LocalStore::PutStaged(const fs::path& staged, std::string_view key) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  return AtomicMoveInto(staged, root_ / key);
}

Result<std::string> LocalStore::Get(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  fs::path p = root_ / key;
  if (!fs::is_regular_file(p)) return NotFound("object '" + std::string(key) + "' does not exist");
  return ReadFile(p);
}

Result<std::vector<ObjectInfo>> LocalStore::List(std::string_view prefix) const {
  std::vector<ObjectInfo> out;
  std::error_code ec;
  // Walk only the directory part of the prefix, then filter by the full prefix.
  std::string prefix_str(prefix);
  fs::path start = root_ / prefix_str.substr(0, prefix_str.rfind('/') == std::string::npos
                                                     ? 0
                                                     : prefix_str.rfind('/'));
  if (!fs::exists(start, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(start, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') continue;  // temporary files
    std::string key = fs::relative(it->path(), root_).generic_string();
    if (key.rfind(kStagingDirName, 0) == 0) continue;
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    out.push_back({key, static_cast<uint64_t>(it->file_size(ec))});
  }
  if (ec) return Internal("cannot list " + start.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

Status LocalStore::Delete(std::string_view key) {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  std::error_code ec;
  fs::path p = root_ / key;
  fs::remove(p, ec);
  if (ec) return Internal("cannot delete " + p.string() + ": " + ec.message());
  // Drop directories the delete left empty, up to (not including) the root,
  // then make the removal durable in the nearest directory that remains.
  fs::path dir = p.parent_path();
  for (; dir != root_ && dir.string().size() > root_.string().size(); dir = dir.parent_path()) {
    if (!fs::is_empty(dir, ec) || ec) break;
    fs::remove(dir, ec);
  }
  return fs::exists(dir) ? FsyncPath(dir) : Status::Ok();
}

Result<ObjectInfo> LocalStore::Stat(std::string_view key) const {
  LH_RETURN_IF_ERROR(ValidateKey(key));
  std::error_code ec;
  auto size = fs::file_size(root_ / key, ec);
  if (ec) return NotFound("object '" + std::string(key) + "' does not exist");
  return ObjectInfo{std::string(key), static_cast<uint64_t>(size)};
}

fs::path LocalStore::StagingDir() const {
  fs::path dir = root_ / kStagingDirName;
  (void)EnsureDirectory(dir);
  return dir;
}

std::optional<fs::path> LocalStore::LocalPath(std::string_view key) const {
  if (!ValidateKey(key).ok()) return std::nullopt;
  return root_ / key;
}

}  // namespace lakehouse::storage
