// Internal to engine/: what a Connection holds, and RAII holders for the
// C API's handles, shared by the .cpp files that implement its methods.
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

namespace internal {

struct Prepared {
  duckdb_prepared_statement handle = nullptr;
  ~Prepared() {
    if (handle) duckdb_destroy_prepare(&handle);
  }
};
struct Pending {
  duckdb_pending_result handle = nullptr;
  ~Pending() {
    if (handle) duckdb_destroy_pending(&handle);
  }
};
struct ResultHolder {
  duckdb_result result{};
  bool valid = false;  // set once duckdb_query/execute has filled `result`
  ~ResultHolder() {
    if (valid) duckdb_destroy_result(&result);
  }
};
struct Chunk {
  duckdb_data_chunk handle = nullptr;
  ~Chunk() {
    if (handle) duckdb_destroy_data_chunk(&handle);
  }
};
struct OwnedType {
  duckdb_logical_type handle = nullptr;
  ~OwnedType() {
    if (handle) duckdb_destroy_logical_type(&handle);
  }
};

}  // namespace internal

}  // namespace lakehouse::engine
