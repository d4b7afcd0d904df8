// Failure injection for the kill -9 tests: LAKEHOUSE_CRASH_AT=<point> makes
// the process die like kill -9 right there. Points are named
// "<operation>:<step>" (move:after_copy, index_move:after_swap).
#pragma once

#include <csignal>
#include <cstdlib>
#include <string_view>

namespace lakehouse {

inline void MaybeCrash(std::string_view point) {
  const char* at = std::getenv("LAKEHOUSE_CRASH_AT");
  if (at && point == at) std::raise(SIGKILL);
}

}  // namespace lakehouse
