// Internal to engine/: what a Connection holds, shared by the .cpp files
// that implement its methods.
#pragma once

#include <duckdb.h>

#include <atomic>

#include "engine/database.h"

namespace lakehouse::engine {

struct Connection::Impl {
  duckdb_connection conn = nullptr;
  std::atomic<bool> interrupted{false};
  ~Impl() {
    if (conn) duckdb_disconnect(&conn);
  }
};

}  // namespace lakehouse::engine
