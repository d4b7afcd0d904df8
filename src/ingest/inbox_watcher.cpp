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
  for (auto it = fs::recursive_directory_iterator(options_.dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::end(it); it.increment(ec)) {
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

std::vector<InboxWatcher::Found> InboxWatcher::ListFiles() {
  // Depth: inbox/BUCKET/DATASET/FILE is the deepest layout; a level below
  // it is listed too, so such files fail with "too deep" instead of sitting
  // there unnoticed.
  constexpr int kMaxDepth = 4;
  std::vector<Found> found;
  std::vector<std::pair<fs::path, int>> pending{{options_.dir, 0}};
  std::set<fs::path> readable;
  while (!pending.empty()) {
    auto [dir, depth] = pending.back();
    pending.pop_back();
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const fs::path& path = it->path();
      std::error_code type_error;
      auto status = it->symlink_status(type_error);
      if (type_error) continue;
      if (depth == 0 && IsSpecialDir(fs::path(path.filename()))) continue;  // whatever they are
      if (fs::is_directory(status)) {
        if (depth + 1 < kMaxDepth) pending.push_back({path, depth + 1});
        continue;
      }
      // A symlink could make the watcher publish any file the server can read.
      if (!fs::is_regular_file(status) || LooksTemporary(path)) continue;
      std::error_code stat_error;
      uintmax_t size = fs::file_size(path, stat_error);
      auto mtime = fs::last_write_time(path, stat_error);
      if (!stat_error) found.push_back({path, size, mtime});
    }
    if (ec) {
      if (unreadable_.insert(dir).second) {
        spdlog::warn("inbox: cannot read folder {} ({}); skipping it, the rest of the inbox is still watched",
                     dir.string(), ec.message());
      }
    } else {
      readable.insert(dir);
    }
  }
  // A folder that became readable again is reported again if it breaks later.
  for (auto it = unreadable_.begin(); it != unreadable_.end();) {
    it = readable.count(*it) ? unreadable_.erase(it) : std::next(it);
  }
  return found;
}

int InboxWatcher::ScanOnce() {
  auto now = std::chrono::steady_clock::now();
  std::vector<Found> ready;
  std::map<fs::path, Seen> still_there;
  std::set<fs::path> present;
  for (const auto& file : ListFiles()) {
    present.insert(file.path);
    {
      std::lock_guard lock(stuck_mutex_);
      auto stuck = stuck_.find(file.path);
      if (stuck != stuck_.end()) {
        if (stuck->second.size == file.size && stuck->second.mtime == file.mtime) {
          RetryMove(file.path, stuck->second);
          if (!fs::exists(file.path)) stuck_.erase(stuck);
          continue;
        }
        stuck_.erase(stuck);  // new bytes under the old name: a new file
      }
    }
    Seen current{file.size, file.mtime, now};
    auto before = seen_.find(file.path);
    if (before != seen_.end() && before->second.size == file.size && before->second.mtime == file.mtime) {
      current.stable_since = before->second.stable_since;
    }
    if (now - current.stable_since >= std::chrono::milliseconds(options_.settle_ms)) {
      ready.push_back(file);
    } else {
      still_there[file.path] = current;
    }
  }
  seen_ = std::move(still_there);
  {
    std::lock_guard lock(stuck_mutex_);
    std::erase_if(stuck_, [&](const auto& entry) { return !present.count(entry.first); });
  }
  for (const auto& file : ready) Handle(file.path, file.size, file.mtime);
  return static_cast<int>(ready.size());
}

std::map<fs::path, std::string> InboxWatcher::Stuck() const {
  std::lock_guard lock(stuck_mutex_);
  std::map<fs::path, std::string> out;
  for (const auto& [path, stuck] : stuck_) out[path] = stuck.move_error;
  return out;
}

bool InboxWatcher::MoveOut(const fs::path& file, bool succeeded, const std::string& error, std::string* why) {
  std::error_code ec;
  fs::path dest = FreeDestination(options_.dir / (succeeded ? "processed" : "failed"), file.filename().string());
  fs::rename(file, dest, ec);
  if (ec) {
    *why = ec.message();
    return false;
  }
  if (!succeeded) {
    Status s = AtomicWriteFile(dest.string() + ".error.txt", error);
    if (!s.ok()) spdlog::warn("inbox: {}", s.message());
  }
  return true;
}

void InboxWatcher::RetryMove(const fs::path& file, StuckFile& stuck) {
  auto now = std::chrono::steady_clock::now();
  if (stuck.attempts >= kMaxMoveAttempts || now < stuck.next_try) return;
  ++stuck.attempts;
  if (MoveOut(file, stuck.succeeded, stuck.error, &stuck.move_error)) {
    spdlog::info("inbox: moved {} out of the inbox at last", file.string());
    return;
  }
  stuck.next_try = now + std::chrono::seconds(1 << std::min(stuck.attempts, 20));
  if (stuck.attempts >= kMaxMoveAttempts) {
    spdlog::error("inbox: giving up moving {} ({}); it stays in the inbox and is ignored until it changes",
                  file.string(), stuck.move_error);
  }
}

void InboxWatcher::Handle(const fs::path& file, uintmax_t size, fs::file_time_type mtime) {
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
  std::string error;
  if (result.ok()) {
    spdlog::info("inbox: {} -> {} ({})", relative.string(), result->manifest.name, result->message);
  } else {
    error = "could not ingest " + relative.string() + ":\n" + result.status().message() + "\n";
    spdlog::warn("inbox: {} failed: {}", relative.string(), result.status().message());
  }
  std::string why;
  if (MoveOut(file, result.ok(), error, &why)) return;
  // Ingesting it again would repeat the work (or the failure) every pass:
  // only the move is retried, less and less often.
  spdlog::error("inbox: cannot move {} out of the inbox ({}); retrying the move with back-off", file.string(), why);
  std::lock_guard lock(stuck_mutex_);
  StuckFile& stuck = stuck_[file];
  stuck = {size, mtime, result.ok(), error, why, 1, std::chrono::steady_clock::now() + std::chrono::seconds(1)};
}

}  // namespace lakehouse::ingest
