// File-system helpers every subsystem shares. All writes that others may read
// are atomic: the bytes go to a temporary file in the target's directory, are
// fsynced, renamed over the target, and the directory is fsynced, so a reader
// sees the old file or the new one, never half of either.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/ticker.h"

namespace lakehouse {

namespace fs = std::filesystem;

// kStorageFull for ENOSPC/EDQUOT (disk or quota full) and EFBIG (file size limit), in our words.
Status StorageFullError(int error);

Status AtomicWriteFile(const fs::path& path, std::string_view bytes);
// Moves an already written file into place atomically (same file system),
// fsyncing the file first and the directory after.
Status AtomicMoveInto(const fs::path& from, const fs::path& to);
Status FsyncPath(const fs::path& path);
// Appends and fsyncs (the file, and its folder when it is new): journals.
// A crash mid-write can leave a torn last line, which readers skip.
Status AppendDurably(const fs::path& path, std::string_view bytes);
Result<std::string> ReadFile(const fs::path& path);
Status EnsureDirectory(const fs::path& path);  // fsyncs the parents of what it creates

// Removes temporary files in `dir` left by processes that died (see
// UniqueTempPath). Returns how many it removed.
int SweepStaleTempFiles(const fs::path& dir);

// SweepStaleTempFiles in `root` and every folder below it (a killed HNSW
// save or FTS build leaves its temporary beside the final file). Symlinks
// are not followed. Returns how many files it removed.
int SweepStaleTempFilesBelow(const fs::path& root);

// Removes the symlinks in `dir` and below (not following them): a link in a
// bucket's data folder would let SQL read whatever it points at. Returns
// the paths removed.
std::vector<fs::path> RemoveSymlinksBelow(const fs::path& dir);

// What SecureDataFolder did and could not do.
struct DataFolderReport {
  std::vector<fs::path> links_removed;
  std::vector<fs::path> tightened;  // group or others could write it; now only the owner can
  std::vector<fs::path> not_ours;   // owned by another user, who could plant links in it
  bool is_link = false;             // `dir` itself is a link: not walked, nothing changed
};

// Makes `dir` a folder only this process's user can add entries to: links
// below it are removed and group/other write permission is taken away. SQL
// follows links, so with this only the server's own user (or root), who can
// read everything the server can anyway, could plant one while it runs.
DataFolderReport SecureDataFolder(const fs::path& dir);

// The first symbolic link on the way from `root` (excluded) down to `path`
// (included), or empty when there is none.
fs::path FirstLinkBelow(const fs::path& root, const fs::path& path);

// Removes the folders in `dir` named after a process id whose process is
// gone (or is us: a previous life with the same pid). Returns how many.
int SweepStaleProcessDirs(const fs::path& dir);

// A name no other writer in this or another process will pick:
// "<stem>.<pid>.<counter>.tmp".
fs::path UniqueTempPath(const fs::path& dir, std::string_view stem);

// CRC-32 (zlib's) of a file's bytes: cheap enough to check a large index
// file before a library that trusts its input reads it.
Result<uint32_t> Crc32File(const fs::path& path);

// Hex SHA-256 of a file's bytes, or of a buffer.
Result<std::string> Sha256File(const fs::path& path);
std::string Sha256Hex(std::string_view bytes);

// Incremental SHA-256, for hashing bytes while they stream past.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(const char* data, size_t len);
  std::string HexDigest();  // call once, at the end

 private:
  void* ctx_;
};

// Reads a file block by block into a SHA-256, as fast or as slowly as its
// caller asks (Sha256File reads it in one go; BackgroundSha256 from two
// threads, one after the other).
class Sha256FileReader {
 public:
  Sha256FileReader(const fs::path& path, size_t block_bytes);
  ~Sha256FileReader();
  Sha256FileReader(const Sha256FileReader&) = delete;
  Sha256FileReader& operator=(const Sha256FileReader&) = delete;
  // Hashes the next block; false at the end of the file or on an error.
  bool HashNextBlock();
  // Hashes what is left; the hex digest, or why the file could not be read.
  Result<std::string> Finish();

 private:
  fs::path path_;
  int fd_ = -1;
  Sha256Stream hasher_;
  std::vector<char> buffer_;
  bool at_end_ = false;
  Status error_;
};

// SHA-256 of a file computed beside other work: a background thread hashes
// using only CPU time no other thread of the machine wants (SCHED_IDLE), so
// it does not slow down a conversion running at the same time; Finish takes
// over on the calling thread at normal priority and hashes what is left.
class BackgroundSha256 {
 public:
  explicit BackgroundSha256(const fs::path& path);
  ~BackgroundSha256();
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;
  Result<std::string> Finish();  // call once

 private:
  std::unique_ptr<Sha256FileReader> reader_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool take_over_ = false;    // GUARDED_BY(mutex_)
  bool worker_done_ = false;  // GUARDED_BY(mutex_)
  std::thread worker_;
};

// An exclusive flock on `path` (created if missing), held until destroyed:
// serialises writers across processes (a CLI beside a server). A lock that
// cannot be opened is not held; try-mode gives up at once when it is taken.
class ProcessLock {
 public:
  // kShared: many holders at once, none while a kWait/kTry holder has it.
  enum class Mode { kWait, kTry, kShared };
  explicit ProcessLock(const fs::path& path, Mode mode = Mode::kWait);
  ~ProcessLock();
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

// Removes a temporary file when it goes out of scope unless released.
class TempFileGuard {
 public:
  explicit TempFileGuard(fs::path path) : path_(std::move(path)) {}
  ~TempFileGuard();
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  const fs::path& path() const { return path_; }
  void Release() { path_.clear(); }

 private:
  fs::path path_;
};

// While another writer (DuckDB) fills the file at `path`, starts the disk
// writes of what it has written so far every `interval`, without waiting
// for them, so that the fsync that makes the file durable afterwards has
// little left to wait for. Best effort: errors are ignored (the fsync
// reports them).
class WritebackPump {
 public:
  WritebackPump(fs::path path, std::chrono::milliseconds interval);
  ~WritebackPump();
  WritebackPump(const WritebackPump&) = delete;
  WritebackPump& operator=(const WritebackPump&) = delete;

 private:
  void StartWrites();

  fs::path path_;
  int fd_ = -1;  // used by the ticker's thread only; closed once it stopped
  std::optional<Ticker> ticker_;
};

}  // namespace lakehouse
