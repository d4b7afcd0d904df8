// Internal to engine/: what a Connection holds, and RAII holders for the
// C API's handles, shared by the .cpp files that implement its methods.
#pragma once

#include <duckdb.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <mutex>

#include "engine/database.h"

namespace lakehouse::engine {

struct Database::Impl {
  duckdb_database db = nullptr;
  std::atomic<bool> invalidated{false};  // set by the first fatal or internal error
  ~Impl() {
    if (db) duckdb_close(&db);
  }
};

struct Connection::Impl {
  duckdb_connection conn = nullptr;
  std::shared_ptr<Database::Impl> db;  // the database outlives its connections
  std::atomic<bool> interrupted{false};
  duckdb_prepared_statement serialize = nullptr;  // json_serialize_sql(?), prepared on first use
  // What recent statements read (ReadsOf): a dashboard sends the same text
  // again and again, and analysing it costs ~50 us. Emptied when full.
  std::unordered_map<std::string, Result<SqlReads>> reads_seen;
  ~Impl() {
    if (serialize) duckdb_destroy_prepare(&serialize);
    if (conn) duckdb_disconnect(&conn);
  }
};

namespace internal {

// The Status for a failed DuckDB call: interrupts become kTimeout, sandbox
// refusals kPermissionDenied, fatal and internal errors kInternal (and they
// mark the database invalidated; the details go to the log, not the user),
// everything else kInvalidArgument with DuckDB's message minus its noise.
Status DuckError(Connection::Impl& conn, const char* message);

// Owns one C API handle and destroys it with `Destroy` (duckdb_destroy_*
// take the handle's address). An aggregate: Owned<...> x{duckdb_create_...()}.
template <typename Handle, void (*Destroy)(Handle*)>
struct Owned {
  Handle handle = nullptr;
  ~Owned() {
    if (handle) Destroy(&handle);
  }
};
using Prepared = Owned<duckdb_prepared_statement, duckdb_destroy_prepare>;
using Pending = Owned<duckdb_pending_result, duckdb_destroy_pending>;
using Chunk = Owned<duckdb_data_chunk, duckdb_destroy_data_chunk>;
using OwnedType = Owned<duckdb_logical_type, duckdb_destroy_logical_type>;

struct ResultHolder {
  duckdb_result result{};
  bool valid = false;  // set once duckdb_query/execute has filled `result`
  ~ResultHolder() {
    if (valid) duckdb_destroy_result(&result);
  }
};

// The table functions of the bulk paths (columnar.cpp, row_stream.cpp).
// They are registered once, when a trusted (not sandboxed) database opens:
// user SQL never sees them, and concurrent first uses cannot race.
// False when DuckDB refused the registration.
bool RegisterColumnarScan(duckdb_connection conn);
bool RegisterRowStream(duckdb_connection conn);

// The BIGINT handle a table function was called with.
inline int64_t BindHandle(duckdb_bind_info info) {
  duckdb_value value = duckdb_bind_get_parameter(info, 0);
  int64_t handle = duckdb_get_int64(value);
  duckdb_destroy_value(&value);
  return handle;
}

// Objects handed to a table function by a BIGINT handle in its SQL call
// (lh_columnar_scan(7)): the C API passes only values into a bind.
template <typename T>
class HandleRegistry {
 public:
  int64_t Add(T* object) {
    std::lock_guard lock(mutex_);
    objects_[next_] = object;
    return next_++;
  }
  void Remove(int64_t handle) {
    std::lock_guard lock(mutex_);
    objects_.erase(handle);
  }
  T* Find(int64_t handle) {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(handle);
    return it == objects_.end() ? nullptr : it->second;
  }

 private:
  std::mutex mutex_;
  std::map<int64_t, T*> objects_;  // GUARDED_BY(mutex_)
  int64_t next_ = 1;               // GUARDED_BY(mutex_)
};

}  // namespace internal

}  // namespace lakehouse::engine
