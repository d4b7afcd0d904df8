#include "engine/query_engine.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/names.h"
#include "engine/watchdog.h"

namespace lakehouse::engine {

QueryEngine::QueryEngine(const catalog::Catalog& catalog, const storage::BucketRegistry& buckets,
                         QueryEngineOptions options)
    : catalog_(catalog), buckets_(buckets), options_(std::move(options)), slots_(std::max(1, options_.max_concurrent)) {}

QueryEngine::~QueryEngine() {
  watchdog_.reset();
  state_.reset();
}

Status QueryEngine::Open() { return Current().status(); }

Result<std::shared_ptr<QueryEngine::State>> QueryEngine::Current() {
  uint64_t bucket_generation = buckets_.Generation();
  auto state = std::atomic_load(&state_);
  auto usable = [&] {
    return state && state->bucket_generation == bucket_generation && !state->db->Invalidated();
  };
  if (usable()) return state;
  std::lock_guard lock(open_mutex_);
  state = std::atomic_load(&state_);
  if (usable()) return state;
  // A fatal DuckDB error invalidated the database: its views and cached
  // tables go with it, and a fresh one is built like after a bucket change.
  // The sandbox's allowed directories are fixed when DuckDB opens, so a
  // bucket added or removed at runtime means a fresh sandboxed database.
  DatabaseOptions db_options;
  db_options.threads = options_.threads;
  db_options.memory_limit = options_.memory_limit;
  db_options.temp_directory = options_.temp_directory;
  db_options.sandboxed = true;
  // Only the data files: SQL never reads manifests, vector files or spill
  // files, even inside a bucket.
  for (const auto& root : buckets_.Roots()) db_options.allowed_directories.push_back(root / "datasets");
  db_options.reopen_when_invalidated = false;
  auto fresh = std::make_shared<State>();
  fresh->bucket_generation = bucket_generation;
  LH_ASSIGN_OR_RETURN(fresh->db, Database::Open(db_options));
  LH_ASSIGN_OR_RETURN(auto conn, fresh->db->Connect());
  LH_RETURN_IF_ERROR(conn->Execute("CREATE SCHEMA IF NOT EXISTS lh_cache"));
  if (!watchdog_) watchdog_ = std::make_unique<Watchdog>();
  std::atomic_store(&state_, fresh);
  return fresh;
}

Status QueryEngine::SyncViews(State& state, Connection& conn) {
  uint64_t generation = catalog_.Generation();
  std::lock_guard lock(state.views_mutex);
  if (generation == state.views_generation) return Status::Ok();
  // What each view should read: the file list, and for small current
  // versions a table in memory (a Parquet scan costs ~1 ms of setup per
  // query, a table scan a fraction of that). Unchanged views are left alone.
  std::map<std::string, std::string> wanted;  // view -> source signature
  uint64_t cached_bytes = 0;
  for (const auto& m : catalog_.List()) {
    auto store = buckets_.Get(m.bucket);
    if (!store.ok()) {
      spdlog::warn("dataset {} lives in unknown bucket {}; no view", m.name, m.bucket);
      continue;
    }
    for (const auto& version : m.versions) {
      std::string files;
      uint64_t bytes = 0;
      for (const auto& f : version.files) {
        auto path = (*store)->LocalPath(f.key);
        if (path) files += (files.empty() ? "" : ", ") + QuoteLiteral(path->string());
        bytes += f.bytes;
      }
      if (files.empty()) continue;
      bool is_current = &version == &m.versions.back();
      std::string view = is_current ? m.name : m.name + "@v" + std::to_string(version.number);
      bool cache = is_current && bytes <= options_.cache_dataset_max_bytes &&
                   cached_bytes + bytes <= options_.cache_max_bytes;
      if (cache) cached_bytes += bytes;
      wanted[view] = std::string(cache ? "cached:" : "files:") + files;
    }
  }
  for (const auto& [view, signature] : state.views) {
    if (wanted.count(view)) continue;
    (void)conn.Execute("DROP VIEW IF EXISTS " + QuoteIdent(view));
    (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
  }
  std::map<std::string, std::string> created;
  std::map<std::string, std::string> quarantined;
  for (const auto& [view, signature] : wanted) {
    auto old = state.views.find(view);
    if (old != state.views.end() && old->second == signature) {
      created[view] = signature;
      if (auto q = state.quarantined.find(view); q != state.quarantined.end()) quarantined[view] = q->second;
      continue;
    }
    created[view] = signature;  // a failed view is not retried until its files change
    Status s;
    {
      std::lock_guard lock(poisoned_mutex_);
      if (auto p = poisoned_.find(signature); p != poisoned_.end()) s = Internal(p->second);
    }
    if (s.ok()) {
      // An append only adds files: add their rows to the cached table
      // instead of reading every file again (its cost stays that of the append).
      bool appended = old != state.views.end() && !state.quarantined.count(view) &&
                      signature.rfind("cached:", 0) == 0 && signature.rfind(old->second + ", ", 0) == 0;
      s = appended ? AppendToCache(conn, view, signature.substr(old->second.size() + 2)) : Internal("rebuild");
      if (!s.ok() && s.code() != StatusCode::kInternal) spdlog::info("dataset view {}: rebuilt ({})", view, s.message());
      if (!s.ok() && !state.db->Invalidated()) s = BuildView(conn, view, signature);
    }
    if (!s.ok()) {
      spdlog::warn("dataset view {} is quarantined: {}", view, s.message());
      quarantined[view] = s.message();
      if (state.db->Invalidated()) {
        // The database is lost; the next one must not read these files again.
        std::lock_guard lock(poisoned_mutex_);
        poisoned_[signature] = "reading its files makes the query engine fail internally";
        return s;
      }
      (void)conn.Execute("DROP VIEW IF EXISTS " + QuoteIdent(view));
      (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
    }
  }
  state.views = std::move(created);
  state.quarantined = std::move(quarantined);
  state.views_generation = generation;
  {
    std::lock_guard report_lock(report_mutex_);
    quarantined_report_ = state.quarantined;
  }
  return Status::Ok();
}

Status QueryEngine::BuildView(Connection& conn, const std::string& view, const std::string& signature) {
  bool cache = signature.rfind("cached:", 0) == 0;
  std::string scan = "read_parquet([" + signature.substr(signature.find(':') + 1) + "], union_by_name = true)";
  auto run = [&](const std::string& sql) {
    Watchdog::Scope deadline(*watchdog_, conn, std::chrono::milliseconds(options_.view_timeout_ms));
    Status s = conn.Execute(sql);
    if (s.code() == StatusCode::kTimeout) {
      return Timeout("reading its files took longer than " + std::to_string(options_.view_timeout_ms) + " ms");
    }
    return s;
  };
  if (cache) {
    Status s = run("CREATE OR REPLACE TABLE lh_cache." + QuoteIdent(view) + " AS SELECT * FROM " + scan);
    if (s.ok()) return run("CREATE OR REPLACE VIEW " + QuoteIdent(view) + " AS SELECT * FROM lh_cache." + QuoteIdent(view));
    if (s.code() == StatusCode::kInternal) return s;
    // Too slow or too big to hold: still queryable as a scan of its files.
    spdlog::info("dataset view {}: not cached ({})", view, s.message());
    (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
  }
  return run("CREATE OR REPLACE VIEW " + QuoteIdent(view) + " AS SELECT * FROM " + scan);
}

Status QueryEngine::AppendToCache(Connection& conn, const std::string& view, const std::string& new_files) {
  Watchdog::Scope deadline(*watchdog_, conn, std::chrono::milliseconds(options_.view_timeout_ms));
  // BY NAME: columns the new files lack are NULL; a column the table lacks
  // fails, and the caller rebuilds the table with it.
  return conn.Execute("INSERT INTO lh_cache." + QuoteIdent(view) + " BY NAME SELECT * FROM read_parquet([" + new_files +
                      "], union_by_name = true)");
}

std::map<std::string, std::string> QueryEngine::Quarantined() const {
  std::lock_guard lock(report_mutex_);
  return quarantined_report_;
}

Result<QueryResult> QueryEngine::Run(const QueryRequest& request) {
  int64_t max_rows = request.max_rows < 0 ? options_.max_rows : std::min(request.max_rows, options_.max_rows);
  if (request.uncapped) max_rows = request.max_rows;
  int64_t timeout_ms = request.timeout_ms <= 0 ? options_.timeout_ms : std::min(request.timeout_ms, options_.timeout_ms);
  if (!slots_.try_acquire_for(std::chrono::milliseconds(timeout_ms))) {
    return Unavailable("the query engine is busy: " + std::to_string(options_.max_concurrent) +
                       " queries were running for the whole time limit ([query] max_concurrent); try again");
  }
  struct Slot {
    std::counting_semaphore<1 << 20>& slots;
    ~Slot() { slots.release(); }
  } slot{slots_};
  // Opened on first use, and again after the buckets changed.
  LH_ASSIGN_OR_RETURN(auto state, Current());
  std::unique_ptr<Connection> conn;
  {
    std::lock_guard lock(state->pool_mutex);
    if (!state->pool.empty()) {
      conn = std::move(state->pool.back());
      state->pool.pop_back();
    }
  }
  if (!conn) {
    LH_ASSIGN_OR_RETURN(conn, state->db->Connect());
  }
  auto give_back = [&] {
    std::lock_guard lock(state->pool_mutex);
    state->pool.push_back(std::move(conn));
  };
  Status synced = SyncViews(*state, *conn);
  if (!synced.ok()) {
    give_back();
    return synced;
  }
  auto result = [&] {
    Watchdog::Scope deadline(*watchdog_, *conn, std::chrono::milliseconds(timeout_ms));
    return conn->Query(request.sql, {max_rows, request.uncapped ? -1 : options_.max_bytes, StatementPolicy::kReadOnly,
                                     request.first_column_strings});
  }();
  if (!state->db->Invalidated()) give_back();
  return result;
}

}  // namespace lakehouse::engine
