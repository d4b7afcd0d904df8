#include "engine/confined_pool.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lakehouse::engine {

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

std::string ConfineThisThread(const Confinement& c) {
#if defined(SYS_landlock_create_ruleset) && defined(LANDLOCK_CREATE_RULESET_VERSION)
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0) return Errno("the kernel offers no Landlock");
  // Every right this kernel knows is handled, so anything not granted below is denied.
  uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
#ifdef LANDLOCK_ACCESS_FS_REFER
  if (abi >= 2) all |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) all |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  uint64_t write = read | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                   LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) write |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = all;
  Fd ruleset{static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0))};
  if (ruleset.fd < 0) return Errno("cannot create a Landlock ruleset");
  auto allow = [&](const std::filesystem::path& dir, uint64_t rights) -> std::string {
    Fd at{::open(dir.c_str(), O_PATH | O_CLOEXEC)};
    if (at.fd < 0) return "";  // not there (yet): nothing below it can be read either
    struct stat st{};
    if (::fstat(at.fd, &st) != 0) return Errno(("cannot look at " + dir.string()).c_str());
    // A file (not a folder) takes only the rights that apply to files.
    if (!S_ISDIR(st.st_mode)) rights &= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;
    landlock_path_beneath_attr beneath{};
    beneath.allowed_access = rights & all;
    beneath.parent_fd = at.fd;
    if (::syscall(SYS_landlock_add_rule, ruleset.fd, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) != 0) {
      return Errno(("cannot allow " + dir.string()).c_str());
    }
    return "";
  };
  // What DuckDB reads to size itself when a database opens (its cgroup's
  // memory and CPU limits): facts about the machine, never data or secrets.
  for (const char* system : {"/proc/self/cgroup", "/sys/fs/cgroup", "/proc/meminfo", "/proc/cpuinfo",
                             "/sys/devices/system/cpu"}) {
    if (std::string why = allow(system, read); !why.empty()) return why;
  }
  for (const auto& d : c.read_dirs) {
    if (std::string why = allow(d, read); !why.empty()) return why;
  }
  for (const auto& d : c.write_dirs) {
    if (std::string why = allow(d, write); !why.empty()) return why;
  }
  // Required to confine without privileges; it only stops this thread's
  // children from gaining any through exec, which they never do.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("cannot set no_new_privs");
  if (::syscall(SYS_landlock_restrict_self, ruleset.fd, 0) != 0) return Errno("cannot confine the thread");
  return "";
#else
  (void)c;
  return "lakehouse was built without Landlock headers";
#endif
}

ConfinedPool::ConfinedPool(Confinement confinement, int threads) {
  std::vector<std::promise<std::string>> started(static_cast<size_t>(std::max(1, threads)));
  for (auto& promise : started) {
    threads_.emplace_back([queue = queue_, &confinement, &promise] {
      promise.set_value(ConfineThisThread(confinement));
      Loop(queue);
    });
  }
  for (auto& promise : started) {
    std::string why = promise.get_future().get();
    if (why_not_.empty()) why_not_ = why;
  }
}

ConfinedPool::~ConfinedPool() {
  {
    std::lock_guard lock(queue_->mutex);
    queue_->stopping = true;
    for (Worker* w : queue_->idle) w->wake.notify_one();
  }
  for (auto& t : threads_) {
    // The last owner may be a job on one of these threads: it cannot wait for itself.
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
}

void ConfinedPool::Post(std::function<void()> job) {
  std::lock_guard lock(queue_->mutex);
  if (queue_->idle.empty()) {
    queue_->jobs.push_back(std::move(job));
    return;
  }
  Worker* w = queue_->idle.back();
  queue_->idle.pop_back();
  w->job = std::move(job);
  w->wake.notify_one();
}

void ConfinedPool::Loop(const std::shared_ptr<Queue>& queue) {
  Worker self;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(queue->mutex);
      if (!queue->jobs.empty()) {
        job = std::move(queue->jobs.front());
        queue->jobs.pop_front();
      } else {
        if (queue->stopping) return;
        queue->idle.push_back(&self);
        self.wake.wait(lock, [&] { return self.job || queue->stopping; });
        if (!self.job) {
          std::erase(queue->idle, &self);
          return;
        }
        job = std::move(self.job);
        self.job = nullptr;
      }
    }
    job();
  }
}

}  // namespace lakehouse::engine
