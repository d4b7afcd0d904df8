#include "ai/gpu_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace lakehouse::ai {

namespace {

constexpr size_t kMaxOutput = 64 << 10;

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool WholeNumber(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::stoll(s);
  return true;
}

// PATH lookup done here, so a missing binary reads as "not found" rather
// than as a child that failed to exec.
std::string Resolve(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
  }
  return "";
}

struct Run {
  bool timed_out = false;
  int exit_code = -1;
  std::string out;
};

// spawn rather than popen: no shell between us and the argument list,
// and a child that hangs is killed at the deadline.
Result<Run> RunWithTimeout(const std::string& binary, const std::vector<std::string>& args, int timeout_ms) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // posix_spawn rather than fork: no copy of a large server's page tables.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  // Its own process group, so a timeout kills a wrapper script's children too.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawned != 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return Internal(std::string("spawn: ") + std::strerror(spawned));
  }
  close(pipe_fds[1]);
  Run run;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[4096];
  for (;;) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      run.timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    int ready = poll(&p, 1, left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (run.out.size() < kMaxOutput) run.out.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  if (run.timed_out) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!run.timed_out && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

}  // namespace

int64_t GpuSnapshot::used_mib() const {
  int64_t sum = 0;
  for (const auto& d : devices) sum += d.used_mib;
  return sum;
}

int64_t GpuSnapshot::total_mib() const {
  int64_t sum = 0;
  for (const auto& d : devices) sum += d.total_mib;
  return sum;
}

Result<std::vector<GpuDevice>> ParseNvidiaSmiMemory(const std::string& csv) {
  std::vector<GpuDevice> out;
  std::stringstream lines(csv);
  std::string line;
  while (std::getline(lines, line)) {
    line = Trim(line);
    if (line.empty()) continue;
    size_t comma = line.find(',');
    int64_t used = 0, total = 0;
    if (comma == std::string::npos || !WholeNumber(Trim(line.substr(0, comma)), &used) ||
        !WholeNumber(Trim(line.substr(comma + 1)), &total) || used > total) {
      return InvalidArgument("nvidia-smi printed '" + line.substr(0, 120) + "' where 'used, total' MiB were expected");
    }
    out.push_back({static_cast<int>(out.size()), used, total});
  }
  return out;
}

GpuSnapshot ReadGpu(const GpuProbeOptions& options) {
  GpuSnapshot snap;
  std::string binary = Resolve(options.nvidia_smi);
  if (binary.empty()) {
    snap.why_absent = options.nvidia_smi + " not found (no NVIDIA GPU driver on this machine)";
    return snap;
  }
  auto run = RunWithTimeout(binary, {"--query-gpu=memory.used,memory.total", "--format=csv,noheader,nounits"},
                            options.timeout_ms);
  snap.failed = true;  // until it answers
  if (!run.ok()) {
    snap.why_absent = "could not run nvidia-smi: " + run.status().message();
    return snap;
  }
  if (run->timed_out) {
    snap.why_absent = "nvidia-smi did not answer within " + std::to_string(options.timeout_ms) + " ms";
    return snap;
  }
  if (run->exit_code != 0) {
    // nvidia-smi exits 9 when it cannot talk to the driver, 6 with no GPU.
    std::string first = Trim(run->out.substr(0, run->out.find('\n')));
    snap.why_absent = "nvidia-smi exited with " + std::to_string(run->exit_code) +
                      (first.empty() ? "" : ": " + first.substr(0, 200));
    return snap;
  }
  auto devices = ParseNvidiaSmiMemory(run->out);
  if (!devices.ok()) {
    snap.why_absent = devices.status().message();
    return snap;
  }
  if (devices->empty()) {
    snap.why_absent = "nvidia-smi listed no GPU";
    return snap;
  }
  snap.present = true;
  snap.failed = false;
  snap.devices = std::move(*devices);
  return snap;
}

}  // namespace lakehouse::ai
