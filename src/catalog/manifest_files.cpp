#include "catalog/manifest_files.h"
#include "common/json_fields.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/files.h"

namespace lakehouse::catalog {

using nlohmann::json;

namespace {

// A log this long is folded into a checkpoint by the next append, even if
// compaction never ran: replaying it must stay cheap.
constexpr int kMaxLogRecords = 1000;

Result<std::string> ReadFrom(const fs::path& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Result<std::string>(std::string()) : Internal("cannot read " + path.string());
  std::string out;
  char buf[1 << 16];
  ssize_t n;
  off_t at = static_cast<off_t>(offset);
  while ((n = ::pread(fd, buf, sizeof buf, at)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    at += n;
  }
  ::close(fd);
  if (n < 0) return Internal("cannot read " + path.string());
  return out;
}

// Applies one log record to `state`; false when the record does not follow
// from it (then the log ends there).
Status ApplyRecordOrThrow(const json& record, ManifestState& state) {
  int64_t seq = IntField<int64_t>(record, "seq", 0);
  if (seq <= state.log_seq) return Status::Ok();  // already in the checkpoint
  if (seq != state.log_seq + 1) return InvalidArgument("log record " + std::to_string(seq) + " is out of order");
  if (!record.contains("head") || !record.contains("version") || !record.contains("added_files") ||
      !record["added_files"].is_array()) {
    return InvalidArgument("log record " + std::to_string(seq) + " is incomplete");
  }
  LH_ASSIGN_OR_RETURN(Manifest head, ManifestFromJson(record["head"]));
  LH_ASSIGN_OR_RETURN(DatasetVersion version, VersionFromJson(record["version"]));
  if (state.manifest.versions.empty() || state.manifest.current().number != version.number ||
      head.name != state.manifest.name) {
    return InvalidArgument("log record " + std::to_string(seq) + " does not continue the current version");
  }
  std::vector<DataFile> files = std::move(state.manifest.current().files);
  for (const auto& fj : record["added_files"]) {
    LH_ASSIGN_OR_RETURN(auto f, DataFileFromJson(fj));
    files.push_back(std::move(f));
  }
  head.versions = std::move(state.manifest.versions);
  head.pending_deletes = std::move(state.manifest.pending_deletes);
  version.files = std::move(files);
  head.versions.back() = std::move(version);
  state.manifest = std::move(head);
  state.log_seq = seq;
  ++state.log_records;
  return Status::Ok();
}

Status ApplyRecord(const json& record, ManifestState& state) {
  try {
    return ApplyRecordOrThrow(record, state);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("a log record has a field of the wrong type: ") + e.what());
  }
}

// Replays the whole lines of `bytes`; a torn last line stays unread, and a
// whole line that does not apply ends the log there (and is reported).
void ReplayLog(const std::string& bytes, ManifestState& state) {
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) break;
    json record = json::parse(bytes.begin() + static_cast<long>(start), bytes.begin() + static_cast<long>(end),
                              nullptr, false);
    Status applied = record.is_object() ? ApplyRecord(record, state) : InvalidArgument("a log line is not JSON");
    if (!applied.ok()) {
      state.log_problem = "append log ends at a bad line (" + applied.message() + "); the appends after it are ignored";
      break;
    }
    state.log_bytes += end + 1 - start;
    start = end + 1;
  }
}

}  // namespace

FileStamp StampOf(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {true, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
}

bool ManifestFiles::Unchanged(const std::string& name, const ManifestState& state) const {
  return StampOf(CheckpointPath(name)) == state.checkpoint && StampOf(LogPath(name)) == state.log;
}

Result<ManifestState> ManifestFiles::Load(const std::string& name, const ManifestState* previous) const {
  for (int attempt = 0; attempt < 5; ++attempt) {
    FileStamp checkpoint = StampOf(CheckpointPath(name));
    if (!checkpoint.exists) return NotFound("dataset '" + name + "' does not exist");
    FileStamp log = StampOf(LogPath(name));
    ManifestState state;
    bool grew = previous && previous->checkpoint == checkpoint && log.exists && previous->log.exists &&
                log.inode == previous->log.inode && log.size >= previous->log_bytes;
    if (previous && previous->checkpoint == checkpoint && previous->log == log) return *previous;
    if (grew) {
      state = *previous;
    } else {
      LH_ASSIGN_OR_RETURN(std::string bytes, ReadFrom(CheckpointPath(name), 0));
      json j = json::parse(bytes, nullptr, false);
      if (j.is_discarded()) return InvalidArgument("not valid JSON");
      LH_ASSIGN_OR_RETURN(state.manifest, ManifestFromJson(j));
      state.log_seq = IntField<int64_t>(j, "log_seq", 0);
      state.checkpoint = checkpoint;
    }
    LH_ASSIGN_OR_RETURN(std::string tail, ReadFrom(LogPath(name), state.log_bytes));
    ReplayLog(tail, state);
    state.log = log;
    // A checkpoint written while the log was read may have folded and
    // removed lines we missed: read again.
    if (StampOf(CheckpointPath(name)) == checkpoint) return state;
  }
  return Unavailable("the manifest of '" + name + "' keeps changing while it is read; try again");
}

Status ManifestFiles::WriteCheckpoint(const Manifest& m, ManifestState& state) const {
  json j = ManifestToJson(m);
  j["log_seq"] = state.log_seq;
  LH_RETURN_IF_ERROR(AtomicWriteFile(CheckpointPath(m.name), j.dump(1)));
  // After the checkpoint is durable: its lines are in it, so losing the log
  // now loses nothing (and a log that survives a crash is skipped by seq).
  if (::unlink(LogPath(m.name).c_str()) != 0 && errno != ENOENT) {
    return Internal("cannot remove " + LogPath(m.name).string() + ": " + std::strerror(errno));
  }
  state.manifest = m;
  state.checkpoint = StampOf(CheckpointPath(m.name));
  state.log = {};
  state.log_bytes = 0;
  state.log_records = 0;
  return Status::Ok();
}

AppendBase AppendBase::Of(const Manifest& m) {
  AppendBase base;
  base.versions = m.versions.size();
  if (m.versions.empty()) return base;
  base.current = m.current().number;
  base.files = m.current().files.size();
  if (base.files) base.last_key = m.current().files.back().key;
  return base;
}

Status ManifestFiles::Append(const Manifest& after, const AppendBase& before, ManifestState& state) const {
  if (before.versions == 0 || after.versions.size() != before.versions || after.current().number != before.current ||
      after.current().files.size() < before.files ||
      (before.files > 0 && after.current().files[before.files - 1].key != before.last_key) ||
      state.log_records >= kMaxLogRecords) {
    return InvalidArgument("not an append to the current version");
  }
  json added = json::array();
  for (size_t i = before.files; i < after.current().files.size(); ++i) {
    added.push_back(DataFileToJson(after.current().files[i]));
  }
  // Appends never change the pending deletes (there can be thousands while
  // compaction runs): the line leaves them out, and replay keeps them.
  json head = ManifestHeadToJson(after, false);
  json record = {{"seq", state.log_seq + 1},
                 {"head", head},
                 {"version", VersionToJson(after.current(), false)},
                 {"added_files", std::move(added)}};
  std::string line = record.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  fs::path path = LogPath(after.name);
  bool created = !fs::exists(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("cannot open " + path.string() + ": " + std::strerror(errno));
  // Whatever follows the last whole line is a torn write of a crashed
  // process: cut it off, then write after the good lines.
  bool ok = ::ftruncate(fd, static_cast<off_t>(state.log_bytes)) == 0;
  size_t written = 0;
  while (ok && written < line.size()) {
    ssize_t n = ::pwrite(fd, line.data() + written, line.size() - written,
                         static_cast<off_t>(state.log_bytes + written));
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  int error = errno;
  ok = ok && ::fdatasync(fd) == 0;
  if (!ok && !error) error = errno;
  ::close(fd);
  if (!ok) {
    if (error == ENOSPC || error == EDQUOT || error == EFBIG) return StorageFullError(error);
    return Internal("cannot append to " + path.string() + ": " + std::strerror(error));
  }
  if (created) LH_RETURN_IF_ERROR(FsyncPath(dir_));
  // Appending to a file leaves its folder's mtime alone; readers in other
  // processes notice changes by that mtime (Catalog::ReloadIfChanged).
  ::utimensat(AT_FDCWD, dir_.c_str(), nullptr, 0);
  state.manifest = after;
  state.log_seq += 1;
  state.log_records += 1;
  state.log_bytes += line.size();
  state.log = StampOf(path);
  return Status::Ok();
}

Status ManifestFiles::Remove(const std::string& name) const {
  for (const auto& path : {CheckpointPath(name), LogPath(name)}) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Internal("cannot remove " + path.string() + ": " + std::strerror(errno));
    }
  }
  return FsyncPath(dir_);
}

}  // namespace lakehouse::catalog
