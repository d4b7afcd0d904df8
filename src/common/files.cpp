#include "common/files.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <signal.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace lakehouse {

Status StorageFullError(int error) {
  if (error == EFBIG) {
    return StorageFull("a file size limit (ulimit -f) stopped the write; nothing was stored. "
                       "Raise the limit for the lakehouse process and try again");
  }
  return StorageFull("the disk holding the data folder is full; nothing was stored. Free space and try again");
}

namespace {

Status ErrnoStatus(const std::string& what, const fs::path& path) {
  int error = errno;
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) return StorageFullError(error);
  return Internal(what + " " + path.string() + ": " + std::strerror(error));
}

Status FsyncFd(int fd, const fs::path& path) {
  if (::fsync(fd) != 0) return ErrnoStatus("fsync", path);
  return Status::Ok();
}

std::string ToHex(const unsigned char* bytes, unsigned len) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

Status FsyncPath(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path);
  Status s = FsyncFd(fd, path);
  ::close(fd);
  return s;
}

Status EnsureDirectory(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Status::Ok();
  // Remember which levels are new: each must be made durable in its parent,
  // or a crash could lose a directory holding files a manifest points at.
  std::vector<fs::path> created;
  for (fs::path p = path; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created.push_back(p);
    if (p == p.parent_path()) break;
  }
  fs::create_directories(path, ec);
  if (ec) return Internal("cannot create directory " + path.string() + ": " + ec.message());
  for (const auto& dir : created) {
    if (dir.has_parent_path()) (void)FsyncPath(dir.parent_path());
  }
  return Status::Ok();
}

namespace {

bool ProcessGone(pid_t pid) { return pid <= 0 || pid == ::getpid() || (::kill(pid, 0) != 0 && errno != EPERM); }

}  // namespace

int SweepStaleProcessDirs(const fs::path& dir) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos || name.size() > 9) continue;
    if (!ProcessGone(static_cast<pid_t>(std::stol(name)))) continue;
    std::error_code remove_error;
    fs::remove_all(entry.path(), remove_error);
    if (!remove_error) ++removed;
  }
  return removed;
}

int SweepStaleTempFiles(const fs::path& dir) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    // Names are ".<stem>.<pid>.<n>.tmp" (UniqueTempPath): stale when that
    // process is gone, or is us (a previous life with the same pid).
    std::string name = entry.path().filename().string();
    if (name.size() < 5 || name.compare(name.size() - 4, 4, ".tmp") != 0) continue;
    std::string body = name.substr(0, name.size() - 4);
    size_t counter_dot = body.rfind('.');
    size_t pid_dot = counter_dot == std::string::npos ? std::string::npos : body.rfind('.', counter_dot - 1);
    if (pid_dot == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::strtol(body.c_str() + pid_dot + 1, nullptr, 10));
    if (!ProcessGone(pid)) continue;
    std::error_code remove_error;
    fs::remove_all(entry.path(), remove_error);
    if (!remove_error) ++removed;
  }
  return removed;
}

int SweepStaleTempFilesBelow(const fs::path& root) {
  int removed = SweepStaleTempFiles(root);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::end(it); it.increment(ec)) {
    std::error_code type_error;
    if (it->is_directory(type_error) && !it->is_symlink(type_error)) removed += SweepStaleTempFiles(it->path());
  }
  return removed;
}

std::vector<fs::path> RemoveSymlinksBelow(const fs::path& dir) {
  std::vector<fs::path> links;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::end(it); it.increment(ec)) {
    std::error_code type_error;
    if (it->is_symlink(type_error)) links.push_back(it->path());
  }
  for (const auto& link : links) fs::remove(link, ec);
  return links;
}

DataFolderReport SecureDataFolder(const fs::path& dir) {
  DataFolderReport report;
  std::error_code link_error;
  if (fs::is_symlink(dir, link_error)) {
    report.is_link = true;  // walking it would change files outside the bucket
    return report;
  }
  report.links_removed = RemoveSymlinksBelow(dir);
  auto check = [&](const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return;
    if (st.st_uid != ::geteuid()) {
      report.not_ours.push_back(path);
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
      if (::chmod(path.c_str(), st.st_mode & 07755) == 0) report.tightened.push_back(path);
    }
  };
  std::error_code ec;
  if (!fs::exists(dir, ec)) return report;
  check(dir);
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::end(it); it.increment(ec)) {
    check(it->path());
  }
  return report;
}

Result<uint32_t> Crc32File(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Internal("cannot read " + path.filename().string());
  uLong crc = crc32(0L, Z_NULL, 0);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) crc = crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()), static_cast<uInt>(in.gcount()));
  }
  if (in.bad()) return Internal("cannot read " + path.filename().string());
  return static_cast<uint32_t>(crc);
}

fs::path FirstLinkBelow(const fs::path& root, const fs::path& path) {
  fs::path rel = path.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return {};
  fs::path at = root;
  for (const auto& part : rel) {
    at /= part;
    std::error_code ec;
    if (fs::is_symlink(at, ec)) return at;
  }
  return {};
}

fs::path UniqueTempPath(const fs::path& dir, std::string_view stem) {
  static std::atomic<uint64_t> counter{0};
  return dir / (std::string(".") + std::string(stem) + "." + std::to_string(::getpid()) + "." +
                std::to_string(counter.fetch_add(1)) + ".tmp");
}

namespace {

// Writes every byte and fsyncs; closes `fd` either way.
Status WriteAllAndSync(int fd, std::string_view bytes, const fs::path& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus("write", path);
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  Status s = FsyncFd(fd, path);
  ::close(fd);
  return s;
}

}  // namespace

Status AtomicWriteFile(const fs::path& path, std::string_view bytes) {
  fs::path dir = path.parent_path();
  LH_RETURN_IF_ERROR(EnsureDirectory(dir));
  fs::path tmp = UniqueTempPath(dir, path.filename().string());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", tmp);
  TempFileGuard guard(tmp);
  LH_RETURN_IF_ERROR(WriteAllAndSync(fd, bytes, tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename to", path);
  guard.Release();
  return FsyncPath(dir);
}

Status AppendDurably(const fs::path& path, std::string_view bytes) {
  fs::path dir = path.parent_path();
  LH_RETURN_IF_ERROR(EnsureDirectory(dir));
  std::error_code ec;
  const bool created = !fs::exists(path, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open", path);
  LH_RETURN_IF_ERROR(WriteAllAndSync(fd, bytes, path));
  return created ? FsyncPath(dir) : Status::Ok();
}

Status AtomicMoveInto(const fs::path& from, const fs::path& to) {
  LH_RETURN_IF_ERROR(FsyncPath(from));
  LH_RETURN_IF_ERROR(EnsureDirectory(to.parent_path()));
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename to", to);
  return FsyncPath(to.parent_path());
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path.string());
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Internal("cannot read " + path.string());
  return data;
}

Result<std::string> Sha256File(const fs::path& path) { return Sha256FileReader(path, 1 << 20).Finish(); }

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return ToHex(digest, len);
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::Update(const char* data, size_t len) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, len);
}

std::string Sha256Stream::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &len);
  return ToHex(digest, len);
}

Sha256FileReader::Sha256FileReader(const fs::path& path, size_t block_bytes)
    : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), buffer_(block_bytes) {
  if (fd_ < 0) {
    error_ = ErrnoStatus("open", path);
    at_end_ = true;
  }
}

Sha256FileReader::~Sha256FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool Sha256FileReader::HashNextBlock() {
  if (at_end_) return false;
  ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
  if (n < 0 && errno == EINTR) return true;
  if (n < 0) {
    error_ = ErrnoStatus("read", path_);
    at_end_ = true;
    return false;
  }
  if (n == 0) {
    at_end_ = true;
    return false;
  }
  hasher_.Update(buffer_.data(), static_cast<size_t>(n));
  return true;
}

Result<std::string> Sha256FileReader::Finish() {
  while (HashNextBlock()) {
  }
  if (!error_.ok()) return error_;
  return hasher_.HexDigest();
}

BackgroundSha256::BackgroundSha256(const fs::path& path)
    : reader_(std::make_unique<Sha256FileReader>(path, 256 << 10)) {
  worker_ = std::thread([this] {
    // Best effort. SCHED_IDLE would also put the thread's reads in the idle
    // I/O class, behind every other read and write of the machine, and
    // Finish may wait for one of them: keep its I/O at the normal level
    // (best effort, 4).
    sched_param idle{};
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    constexpr int kIoprioClassBestEffort = 2, kIoprioClassShift = 13, kIoprioWhoProcess = 1;
    (void)::syscall(SYS_ioprio_set, kIoprioWhoProcess, static_cast<int>(::gettid()),
                    (kIoprioClassBestEffort << kIoprioClassShift) | 4);
    while (true) {
      {
        std::lock_guard lock(mutex_);
        if (take_over_) break;
      }
      if (!reader_->HashNextBlock()) break;
    }
    std::lock_guard lock(mutex_);
    worker_done_ = true;
    stopped_.notify_all();
  });
}

BackgroundSha256::~BackgroundSha256() {
  {
    std::lock_guard lock(mutex_);
    take_over_ = true;
  }
  if (worker_.joinable()) worker_.join();
}

Result<std::string> BackgroundSha256::Finish() {
  {
    std::unique_lock lock(mutex_);
    take_over_ = true;
    stopped_.wait(lock, [this] { return worker_done_; });
  }
  worker_.join();
  return reader_->Finish();
}

TempFileGuard::~TempFileGuard() {
  if (!path_.empty()) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

ProcessLock::ProcessLock(const fs::path& path, Mode mode) {
  (void)EnsureDirectory(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return;
  int rc;
  do {
    rc = ::flock(fd_, (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | (mode == Mode::kTry ? LOCK_NB : 0));
  } while (rc != 0 && errno == EINTR);
  held_ = rc == 0;
}

ProcessLock::~ProcessLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

WritebackPump::WritebackPump(fs::path path, std::chrono::milliseconds interval) : path_(std::move(path)) {
  ticker_.emplace(interval, [this] { StartWrites(); });
}

WritebackPump::~WritebackPump() {
  ticker_.reset();
  if (fd_ >= 0) ::close(fd_);
}

void WritebackPump::StartWrites() {
  if (fd_ < 0) fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ >= 0) (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
}

}  // namespace lakehouse
