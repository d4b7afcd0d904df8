// The SQL surface users reach: a sandboxed DuckDB where every dataset of the
// catalog is a view under its own name (and "name@vN" for each version), and
// statements are read-only, row-capped and time-limited. Each view has a
// masked twin (engine/masking.h) that callers without the pii grant query.
//
// The sandbox is DuckDB's own: external access off, file access limited to
// the bucket roots, configuration locked. So COPY ... TO, ATTACH, INSTALL,
// SET and reading /etc/passwd fail with PermissionDenied. Thread-safe: each
// call borrows a pooled connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "engine/confined_pool.h"
#include "engine/database.h"
#include "engine/export.h"
#include "engine/watchdog.h"
#include "storage/bucket_registry.h"

namespace lakehouse::engine {

struct QueryEngineOptions {
  int64_t max_rows = 10000;
  int64_t timeout_ms = 30000;
  int threads = 0;
  std::string memory_limit;
  // Current versions of datasets up to this many Parquet bytes are held in
  // memory as tables (within the total budget); larger ones are scanned.
  uint64_t cache_dataset_max_bytes = 64ull << 20;
  uint64_t cache_max_bytes = 256ull << 20;
  // Building one dataset's view (and loading its cache) may take this long;
  // past it the dataset is queried from its files, or quarantined.
  int64_t view_timeout_ms = 10000;
  // Statements running at once; more wait (up to their timeout) for a slot,
  // so slow queries cannot take every HTTP worker or all memory.
  int max_concurrent = 8;
  std::filesystem::path temp_directory;  // where queries spill; empty: DuckDB's default
  // Where exports are spooled while they are read; SQL may read it (never
  // write), which shows nothing a query could not. Empty: no exports.
  std::filesystem::path export_directory;
  int64_t export_timeout_ms = 3600000;
  int64_t max_bytes = 32ll << 20;  // of a result's rows as JSON; uncapped requests are exempt
};

struct QueryRequest {
  std::string sql;
  int64_t max_rows = -1;    // -1: the engine's default; capped by it too
  int64_t timeout_ms = -1;  // -1: the engine's default; capped by it too
  // For internal callers (vector search's filter id sets), never for a
  // user's request: max_rows as given, not capped by the engine's limit.
  bool uncapped = false;
  // Return the first (VARCHAR) column's values in QueryResult::strings.
  bool first_column_strings = false;
  RowSink* sink = nullptr;  // stream the rows here instead of holding them
  // PII and restricted columns masked (the caller lacks the pii grant): the
  // statement resolves names to the masked views, and may name nothing else.
  bool masked = false;
};

class QueryEngine {
 public:
  QueryEngine(const catalog::Catalog& catalog, const storage::BucketRegistry& buckets,
              QueryEngineOptions options);
  ~QueryEngine();

  // Opens the sandboxed database. Idempotent and thread-safe; Run opens on
  // first use, a server calls it at start to fail fast.
  Status Open();
  Result<QueryResult> Run(const QueryRequest& request);
  // Starts writing the whole result of one read-only SELECT in `format`: no
  // row or byte cap, [query] export_timeout_ms. Statements that fail to
  // bind are refused here, before any byte is written. The job holds one of
  // the engine's slots until it ends; the engine must outlive it.
  Result<std::unique_ptr<ExportJob>> StartExport(const std::string& sql, ExportFormat format, bool masked = false);
  // "SELECT * FROM <view>" for a dataset ("name", or "name@vN" for a
  // version), or NotFound naming what exists.
  Result<std::string> SelectAllOf(const std::string& dataset) const;

  // One-shot use (a CLI command): views are built only for the datasets a
  // statement names, when it first names them, and read from their files
  // (nothing is loaded into memory). Call before the first query.
  void UseLazyViews() { lazy_views_ = true; }

  // Views that could not be built (dataset or "name@vN" -> why), as of the
  // last query. Their datasets cannot be queried until their files change;
  // the others can. Never waits for a view build.
  std::map<std::string, std::string> Quarantined() const;
  // Empty when SQL runs on kernel-confined threads (or none has run yet);
  // else why it cannot (/health).
  std::string UnconfinedBecause() const;

 private:
  // One sandboxed database and everything built in it: its connections and
  // its views. Replaced whole when the buckets change, so a connection never
  // meets views or a pool of another database.
  struct State {
    std::shared_ptr<Database> db;
    uint64_t bucket_generation = 0;
    std::shared_ptr<ConfinedPool> pool;  // the threads every statement runs on
    std::mutex pool_mutex;
    // Idle connections: [0] resolve names to the raw views, [1] to the masked ones.
    std::vector<std::unique_ptr<Connection>> connections[2];  // GUARDED_BY(pool_mutex)
    std::mutex views_mutex;
    uint64_t views_generation = UINT64_MAX;      // GUARDED_BY(views_mutex)
    std::map<std::string, std::string> views;    // view -> source signature; GUARDED_BY(views_mutex)
    std::map<std::string, std::string> masks;    // view -> what its masked twin masks; GUARDED_BY(views_mutex)
    std::map<std::string, std::string> quarantined;  // view -> why; GUARDED_BY(views_mutex)
    std::map<std::string, std::string> pending;  // lazy views not built yet -> signature; GUARDED_BY(views_mutex)
    // Views that scan files when queried (not cached): their bucket root and
    // files, checked for links each time a query names them.
    std::map<std::string, std::pair<std::filesystem::path, std::vector<std::filesystem::path>>> scanned;  // GUARDED_BY(views_mutex)
    std::vector<std::filesystem::path> roots;  // the buckets' datasets folders, as the sandbox allows them
  };
  struct Lease;
  // A slot (waiting up to `wait_ms`) and a connection with views in sync.
  Result<std::unique_ptr<Lease>> Borrow(int64_t wait_ms, bool masked);
  Result<std::shared_ptr<State>> Current();
  // Brings the views of `state` to the catalog's `generation`, whose
  // datasets are `datasets` (read by the caller: only data files can be read
  // on the confined threads this runs on).
  Status SyncViews(State& state, Connection& conn, uint64_t generation, const std::vector<catalog::Manifest>& datasets);
  // Runs `attempt`; while it fails naming a lazy view not built yet, builds
  // that view and runs it again.
  template <typename T, typename F>
  Result<T> WithLazyViews(State& state, Connection& conn, F attempt);
  // Refuses a query whose literals or scanned views lead through a symbolic
  // link (DuckDB's sandbox compares path strings and follows links).
  Status CheckReads(State& state, const SqlReads& reads, bool masked);
  Status BuildView(Connection& conn, const std::string& view, const std::string& signature);
  // The masked twin of `view` (built), masking the lower-case `columns`.
  Status BuildMaskedView(Connection& conn, const std::string& view, const std::set<std::string>& columns);
  // Adds the rows of `new_files` (quoted, comma-separated) to a cached view's table.
  Status AppendToCache(Connection& conn, const std::string& view, const std::string& new_files);

  const catalog::Catalog& catalog_;
  const storage::BucketRegistry& buckets_;
  QueryEngineOptions options_;
  bool lazy_views_ = false;
  std::mutex open_mutex_;
  std::shared_ptr<State> state_;  // replaced under open_mutex_; read with atomic_load
  std::unique_ptr<Watchdog> watchdog_;
  std::counting_semaphore<1 << 20> slots_;
  // Views whose files invalidated a database when read (source signature ->
  // why): never built again, in this database or the ones after it.
  std::mutex poisoned_mutex_;
  std::map<std::string, std::string> poisoned_;  // GUARDED_BY(poisoned_mutex_)
  // The quarantined views of the last sync, readable while a slow sync holds views_mutex.
  mutable std::mutex report_mutex_;
  std::map<std::string, std::string> quarantined_report_;  // GUARDED_BY(report_mutex_)
};

}  // namespace lakehouse::engine
