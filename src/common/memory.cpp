#include "common/memory.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace lakehouse {

namespace {

uint64_t ReadLimit(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return 0;
  try {
    return std::stoull(text);
  } catch (...) {  // a malformed file means no limit we can use, not an error
    return 0;
  }
}

}  // namespace

uint64_t UsableMemoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  uint64_t ram = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 4ull << 30;
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    uint64_t limit = ReadLimit(path);
    if (limit > 0) ram = std::min(ram, limit);
  }
  return ram;
}

std::string MemoryLimitShare(double share) {
  uint64_t mb = static_cast<uint64_t>(static_cast<double>(UsableMemoryBytes()) * share) >> 20;
  return std::to_string(std::max<uint64_t>(mb, 64)) + "MB";
}

}  // namespace lakehouse
