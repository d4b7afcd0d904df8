// What the HTTP benches share: the real binary started on a free port in a
// scratch folder, and latency arithmetic.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fixtures.h"

namespace lakehouse::bench {

using Clock = std::chrono::steady_clock;

inline double Millis(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Nearest rank: the p99 of 100 samples is the 99th smallest, not the largest.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// Starts `lakehouse serve` over dir/data with the inbox off and `extra_toml`
// appended to its config; the pid (-1 when it did not come up) and the port.
inline pid_t StartServer(const std::filesystem::path& dir, int* port, const std::string& extra_toml = "",
                         const char* log_level = "info") {
  std::filesystem::path port_file = dir / "port";
  testing::WriteFile(dir / "lakehouse.toml", "[storage]\ndata_dir = \"data\"\n[inbox]\nenabled = false\n" + extra_toml);
  pid_t pid = fork();
  if (pid == 0) {
    std::string config = (dir / "lakehouse.toml").string(), pf = port_file.string();
    int log = ::open((dir / "server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, 1);
    dup2(log, 2);
    execl(LAKEHOUSE_BINARY, "lakehouse", "--config", config.c_str(), "--log-level", log_level, "serve", "--port", "0",
          "--port-file", pf.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 400; ++i) {
    std::ifstream in(port_file);
    if (in >> *port) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

}  // namespace lakehouse::bench
