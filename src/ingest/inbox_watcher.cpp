#include "ingest/inbox_watcher.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <vector>

#include "common/files.h"

namespace lakehouse::ingest {

namespace {

bool IsSpecialDir(const fs::path& relative) {
  auto first = relative.begin()->string();
  return first == "processed" || first == "failed";
}

// Partial downloads and editors' temporaries are not data.
bool LooksTemporary(const fs::path& file) {
  std::string name = file.filename().string();
  if (name.empty() || name[0] == '.' || name.back() == '~') return true;
  for (const char* ext : {".tmp", ".part", ".crdownload", ".swp", ".error.txt"}) {
    std::string e(ext);
    if (name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

std::string Stamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// A destination that does not exist yet: processed/<stamp>-<name>[-n].
fs::path FreeDestination(const fs::path& dir, const std::string& name) {
  fs::path base = dir / (Stamp() + "-" + name);
  fs::path candidate = base;
  for (int n = 2; fs::exists(candidate); ++n) candidate = base.string() + "-" + std::to_string(n);
  return candidate;
}

}  // namespace

InboxWatcher::InboxWatcher(Ingestor& ingestor, InboxOptions options)
    : ingestor_(ingestor), options_(std::move(options)) {}

InboxWatcher::~InboxWatcher() { Stop(); }

Status InboxWatcher::Start() {
  for (const char* sub : {"", "processed", "failed"}) {
    LH_RETURN_IF_ERROR(EnsureDirectory(options_.dir / sub).WithContext("inbox"));
  }
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) spdlog::warn("inbox: inotify unavailable, polling every {} ms", options_.poll_interval_ms);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  AddWatches();
  thread_ = std::thread([this] { Loop(); });
  spdlog::info("inbox: watching {}", options_.dir.string());
  return Status::Ok();
}

void InboxWatcher::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

void InboxWatcher::AddWatches() {
  if (inotify_fd_ < 0) return;
  constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY;
  inotify_add_watch(inotify_fd_, options_.dir.c_str(), kMask);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(options_.dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (!it->is_directory()) continue;
    if (IsSpecialDir(fs::relative(it->path(), options_.dir))) {
      it.disable_recursion_pending();
      continue;
    }
    inotify_add_watch(inotify_fd_, it->path().c_str(), kMask);  // re-adding is harmless
  }
}

void InboxWatcher::Loop() {
  std::vector<char> events(64 * 1024);
  while (!stop_) {
    ScanOnce();
    // Files still settling need another look soon; otherwise wait for an
    // event or the next poll.
    int timeout = seen_.empty() ? options_.poll_interval_ms : std::max(50, options_.settle_ms / 4);
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int ready = ::poll(fds, 2, timeout);
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      while (::read(inotify_fd_, events.data(), events.size()) > 0) {
      }
      AddWatches();  // new subfolders
    }
  }
}

int InboxWatcher::ScanOnce() {
  auto now = std::chrono::steady_clock::now();
  std::vector<fs::path> ready;
  std::map<fs::path, Seen> still_there;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(options_.dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    fs::path relative = fs::relative(it->path(), options_.dir);
    if (it->is_directory() && !it->is_symlink()) {
      if (IsSpecialDir(relative)) it.disable_recursion_pending();
      continue;
    }
    // A symlink could make the watcher publish any file the server can read.
    if (it->is_symlink() || !it->is_regular_file() || LooksTemporary(it->path())) continue;
    std::error_code stat_error;
    uintmax_t size = fs::file_size(it->path(), stat_error);
    auto mtime = fs::last_write_time(it->path(), stat_error);
    if (stat_error) continue;
    Seen current{size, mtime, now};
    auto before = seen_.find(it->path());
    if (before != seen_.end() && before->second.size == size && before->second.mtime == mtime) {
      current.stable_since = before->second.stable_since;
    }
    if (now - current.stable_since >= std::chrono::milliseconds(options_.settle_ms)) {
      ready.push_back(it->path());
    } else {
      still_there[it->path()] = current;
    }
  }
  seen_ = std::move(still_there);
  for (const auto& file : ready) Handle(file);
  return static_cast<int>(ready.size());
}

void InboxWatcher::Handle(const fs::path& file) {
  fs::path relative = fs::relative(file, options_.dir);
  std::vector<std::string> parts;
  for (const auto& p : relative) parts.push_back(p.string());
  IngestRequest request;
  request.file = file;
  request.file_name = file.filename().string();
  request.source_system = "inbox";
  if (parts.size() == 2) {
    request.dataset = parts[0];
  } else if (parts.size() == 3) {
    request.bucket = parts[0];
    request.dataset = parts[1];
  }
  Result<IngestResult> result = parts.size() > 3
                                    ? Result<IngestResult>(InvalidArgument(
                                          "too deep: use inbox/FILE, inbox/DATASET/FILE or inbox/BUCKET/DATASET/FILE"))
                                    : ingestor_.Ingest(request);
  std::error_code ec;
  if (result.ok()) {
    fs::path dest = FreeDestination(options_.dir / "processed", request.file_name);
    fs::rename(file, dest, ec);
    spdlog::info("inbox: {} -> {} ({})", relative.string(), result->manifest.name, result->message);
  } else {
    fs::path dest = FreeDestination(options_.dir / "failed", request.file_name);
    fs::rename(file, dest, ec);
    Status s = AtomicWriteFile(dest.string() + ".error.txt",
                               "could not ingest " + relative.string() + ":\n" + result.status().message() + "\n");
    if (!s.ok()) spdlog::warn("inbox: {}", s.message());
    spdlog::warn("inbox: {} failed: {}", relative.string(), result.status().message());
  }
  if (ec) spdlog::error("inbox: cannot move {} out of the inbox: {}", file.string(), ec.message());
}

}  // namespace lakehouse::ingest
