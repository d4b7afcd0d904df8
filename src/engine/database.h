// A DuckDB database opened in memory and the connections to it. This is the
// only place (with its .cpp siblings) that includes duckdb.h.
//
// Database is thread-safe; a Connection is used by one thread at a time, but
// Interrupt() may be called from any thread to cancel what it is running.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/columnar.h"
#include "engine/result.h"
#include "engine/row_stream.h"
#include "engine/sql_reads.h"

namespace lakehouse::engine {

struct DatabaseOptions {
  int threads = 0;           // 0: DuckDB's default (one per core)
  std::string memory_limit;  // empty: DuckDB's default
  // Sandbox: when set, DuckDB may only touch files under these directories,
  // and its configuration is locked after opening.
  bool sandboxed = false;
  std::vector<std::filesystem::path> allowed_directories;
  std::filesystem::path temp_directory;  // where DuckDB spills; empty: none
  // After a fatal error, Connect() opens a fresh database (true) or fails
  // with kUnavailable (false: for owners that rebuild what they created in it).
  bool reopen_when_invalidated = true;
};

class Connection;

// A fatal or internal DuckDB error invalidates a database for good (every
// later statement fails, whatever dataset it reads). The Database notices:
// Invalidated() turns true, and the next Connect() opens a fresh one with
// the same options; connections to the old one keep it alive until they go.
class Database {
 public:
  static Result<std::shared_ptr<Database>> Open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Result<std::unique_ptr<Connection>> Connect();
  bool Invalidated() const;
  // How many times the database was opened afresh after being invalidated.
  uint64_t Reopens() const;

  struct Impl;  // internal to engine/ (connection_impl.h)

 private:
  Database() = default;
  static Result<std::shared_ptr<Impl>> OpenImpl(const DatabaseOptions& options);
  // A connection for setting a database up, before a Database owns it.
  static Result<std::unique_ptr<Connection>> SetupConnection(const std::shared_ptr<Impl>& impl);
  DatabaseOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<Impl> impl_;  // GUARDED_BY(mutex_)
  uint64_t reopens_ = 0;        // GUARDED_BY(mutex_)
};

// Which statements a caller may run through Query.
enum class StatementPolicy { kAny, kReadOnly };

// Receives a query's rows one at a time instead of the result holding them
// (QueryLimits::sink): memory stays flat however many rows there are.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status Columns(const std::vector<ResultColumn>& columns) = 0;
  virtual Status Row(const std::vector<Cell>& cells) = 0;
};

// Sees what a statement reads (Connection::ReadsOf) before it is bound; an
// error refuses the statement.
using ReadsCheck = std::function<Status(const SqlReads&)>;

struct QueryLimits {
  int64_t max_rows = -1;  // -1: all rows
  int64_t max_bytes = -1;  // -1: any size; else rows stop before their JSON would pass it
  StatementPolicy policy = StatementPolicy::kAny;
  bool first_column_strings = false;  // fill QueryResult::strings, not rows
  RowSink* sink = nullptr;  // rows go here, not into QueryResult::rows (row_count counts them)
  ReadsCheck check_reads;  // when set, run before the statement is bound
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs trusted SQL (one or more statements) and discards any result.
  Status Execute(const std::string& sql);
  // Runs trusted SQL that answers one number (COPY, INSERT: the rows it
  // wrote) without preparing it first: a prepared statement that reads a
  // CSV file binds twice when it runs, and sniffs the file twice.
  Result<int64_t> ExecuteCount(const std::string& sql);
  // Runs exactly one statement and streams its rows, stopping at the cap.
  Result<QueryResult> Query(const std::string& sql, const QueryLimits& limits = {});
  // Parses and binds `sql` as one read-only SELECT (not a PRAGMA), without running it.
  Status CheckSelect(const std::string& sql, const ReadsCheck& check_reads = {});
  // The literals and table names of one statement, from DuckDB's parse tree.
  Result<SqlReads> ReadsOf(const std::string& sql);
  // Writes the rows of one read-only SELECT (checked as Query checks it)
  // to `path` with DuckDB's COPY; `copy_options` are ours, never the user's
  // ("FORMAT csv, HEADER true"). Returns the rows written.
  // `floats_as_text`: FLOAT values, also inside lists and structs, are
  // written in their shortest form (for text formats; Parquet keeps FLOAT).
  Result<int64_t> CopySelectTo(const std::string& sql, const std::filesystem::path& path,
                               const std::string& copy_options, bool floats_as_text = false);
  // Cancels the statement running now (if any); it fails with kTimeout.
  // DuckDB checks for it between vectors: a single row that takes long to
  // decode is not cut short.
  void Interrupt();
  // Share of the running statement done, 0..1, or -1 when DuckDB cannot tell.
  // Safe to call from another thread while Query/Execute runs.
  double Progress();

  // Bulk paths (engine/columnar.cpp). WriteParquet writes `table` to `path`
  // (zstd) as is; the caller makes it atomic. QueryColumnar runs one trusted
  // SELECT whose columns are text, integers or FLOAT[n] arrays.
  Status WriteParquet(const ColumnarTable& table, const std::filesystem::path& path);
  Result<ColumnarTable> QueryColumnar(const std::string& sql);
  // Streams the rows of `producer` (columns c0, c1... of the `wire` types)
  // through `select_list` into one Parquet file (engine/row_stream.cpp);
  // `parquet_options` are COPY options such as "COMPRESSION zstd". Returns
  // the rows written; the producer's own error when it failed.
  Result<int64_t> CopyRowsToParquet(const std::vector<WireType>& wire, RowProducer& producer,
                                    const std::string& select_list, const std::filesystem::path& path,
                                    const std::string& parquet_options);

  struct Impl;  // internal to engine/ (connection_impl.h)

 private:
  friend class Database;
  Connection(void* handle, std::shared_ptr<Database::Impl> db);
  // Exactly one statement, allowed by `policy`, prepared into `prepared`
  // (an internal::Prepared: duckdb.h stays out of this header).
  Status PrepareOne(const std::string& sql, StatementPolicy policy, void* prepared, const ReadsCheck& check_reads = {});
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakehouse::engine
