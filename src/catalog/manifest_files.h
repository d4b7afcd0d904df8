// One dataset's manifest on disk, the way Delta Lake keeps a table's: a
// checkpoint (_catalog/datasets/<name>.json, the whole manifest, written
// atomically) and an append log beside it (<name>.log, one JSON line per
// append since the checkpoint). An append writes one line of its own size
// and fsyncs it, whatever the number of appends before; a checkpoint folds
// the log back in (any other change, and compaction, write one).
//
// A line is whole or ignored: a crash mid-append leaves a torn last line,
// which readers skip and the next append cuts off. Lines carry sequence
// numbers; those at or below the checkpoint's log_seq are already in it (a
// crash between writing a checkpoint and removing the log leaves them).
//
// Not thread-safe: the catalog calls it under its write lock (writes) or
// with its own cached state (reads).
#pragma once

#include <filesystem>
#include <string>

#include "catalog/manifest.h"

namespace lakehouse::catalog {

// What a file looked like when it was read, to tell whether it changed.
struct FileStamp {
  bool exists = false;
  int64_t mtime_ns = 0;
  uint64_t size = 0;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp StampOf(const std::filesystem::path& path);

struct ManifestState {
  Manifest manifest;
  FileStamp checkpoint;
  FileStamp log;            // as far as it was read
  uint64_t log_bytes = 0;   // whole lines read from the log
  int64_t log_seq = 0;      // last sequence number folded into `manifest`
  int log_records = 0;      // lines past the checkpoint
  std::string log_problem;  // why the log stopped short of its end, if it did
};

// What an append must leave as it was: the manifest before it, in brief.
struct AppendBase {
  size_t versions = 0;
  int current = 0;
  size_t files = 0;  // of the current version
  std::string last_key;
  static AppendBase Of(const Manifest& m);
};

class ManifestFiles {
 public:
  explicit ManifestFiles(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::filesystem::path CheckpointPath(const std::string& name) const { return dir_ / (name + ".json"); }
  std::filesystem::path LogPath(const std::string& name) const { return dir_ / (name + ".log"); }

  // The manifest as stored now. With `previous` (an earlier Load of the same
  // dataset) only what changed since is read: nothing when neither file
  // changed, the new log lines when only the log grew. NotFound when there
  // is no checkpoint.
  Result<ManifestState> Load(const std::string& name, const ManifestState* previous = nullptr) const;
  // True when the files still look as `state` saw them.
  bool Unchanged(const std::string& name, const ManifestState& state) const;

  // Writes `m` as the new checkpoint (folding the log) and removes the log.
  Status WriteCheckpoint(const Manifest& m, ManifestState& state) const;
  // Appends the change from `before` (the manifest `state` was loaded with)
  // to `after` (files added to the current version, and the small fields)
  // as one log line; state becomes `after`. InvalidArgument when `after` is
  // not such an append or the log is long (the caller writes a checkpoint).
  Status Append(const Manifest& after, const AppendBase& before, ManifestState& state) const;
  Status Remove(const std::string& name) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace lakehouse::catalog
