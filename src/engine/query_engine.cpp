#include "engine/query_engine.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/names.h"

namespace lakehouse::engine {

// Interrupts connections whose deadline passed. One thread for all queries.
class QueryEngine::Watchdog {
 public:
  Watchdog() : thread_([this] { Loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Watch(Connection* conn, std::chrono::steady_clock::time_point deadline) {
    {
      std::lock_guard lock(mutex_);
      deadlines_[conn] = deadline;
    }
    cv_.notify_all();
  }
  void Forget(Connection* conn) {
    std::lock_guard lock(mutex_);
    deadlines_.erase(conn);
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      auto now = std::chrono::steady_clock::now();
      auto next = now + std::chrono::seconds(1);
      for (auto it = deadlines_.begin(); it != deadlines_.end();) {
        if (it->second <= now) {
          it->first->Interrupt();
          it = deadlines_.erase(it);
        } else {
          next = std::min(next, it->second);
          ++it;
        }
      }
      cv_.wait_until(lock, next);
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<Connection*, std::chrono::steady_clock::time_point> deadlines_;  // GUARDED_BY(mutex_)
  bool stop_ = false;
  std::thread thread_;
};

QueryEngine::QueryEngine(const catalog::Catalog& catalog, const storage::BucketRegistry& buckets,
                         QueryEngineOptions options)
    : catalog_(catalog), buckets_(buckets), options_(std::move(options)) {}

QueryEngine::~QueryEngine() {
  watchdog_.reset();
  pool_.clear();
  db_.reset();
}

Status QueryEngine::Open() {
  std::lock_guard lock(open_mutex_);
  // The sandbox's allowed directories are fixed when DuckDB opens, so a
  // bucket added or removed at runtime means a fresh sandboxed database.
  uint64_t bucket_generation = buckets_.Generation();
  if (db_ && bucket_generation == opened_bucket_generation_.load()) return Status::Ok();
  DatabaseOptions db_options;
  db_options.threads = options_.threads;
  db_options.memory_limit = options_.memory_limit;
  db_options.sandboxed = true;
  db_options.allowed_directories = buckets_.Roots();
  LH_ASSIGN_OR_RETURN(auto db, Database::Open(db_options));
  LH_ASSIGN_OR_RETURN(auto conn, db->Connect());
  LH_RETURN_IF_ERROR(conn->Execute("CREATE SCHEMA IF NOT EXISTS lh_cache"));
  if (!watchdog_) watchdog_ = std::make_unique<Watchdog>();
  {
    std::lock_guard pool_lock(pool_mutex_);
    pool_.clear();
    ++pool_generation_;
  }
  {
    std::lock_guard views_lock(views_mutex_);
    views_.clear();
    views_generation_ = UINT64_MAX;
  }
  std::atomic_store(&db_, std::shared_ptr<Database>(std::move(db)));
  opened_bucket_generation_ = bucket_generation;
  return Status::Ok();
}

Result<QueryEngine::Pooled> QueryEngine::Borrow() {
  uint64_t generation;
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      Pooled conn = std::move(pool_.back());
      pool_.pop_back();
      return conn;
    }
    generation = pool_generation_;
  }
  auto db = std::atomic_load(&db_);
  LH_ASSIGN_OR_RETURN(auto conn, db->Connect());
  return Pooled{generation, std::move(conn)};
}

void QueryEngine::Return(Pooled conn) {
  std::lock_guard lock(pool_mutex_);
  if (conn.generation == pool_generation_) pool_.push_back(std::move(conn));  // else: of a replaced database
}

Status QueryEngine::SyncViews(Connection& conn) {
  uint64_t generation = catalog_.Generation();
  std::lock_guard lock(views_mutex_);
  if (generation == views_generation_) return Status::Ok();
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
  for (const auto& [view, signature] : views_) {
    if (wanted.count(view)) continue;
    (void)conn.Execute("DROP VIEW IF EXISTS " + QuoteIdent(view));
    (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
  }
  std::map<std::string, std::string> created;
  for (const auto& [view, signature] : wanted) {
    auto old = views_.find(view);
    if (old != views_.end() && old->second == signature) {
      created[view] = signature;
      continue;
    }
    bool cache = signature.rfind("cached:", 0) == 0;
    std::string scan = "read_parquet([" + signature.substr(signature.find(':') + 1) + "], union_by_name = true)";
    Status s;
    if (cache) {
      s = conn.Execute("CREATE OR REPLACE TABLE lh_cache." + QuoteIdent(view) + " AS SELECT * FROM " + scan);
      if (s.ok()) {
        s = conn.Execute("CREATE OR REPLACE VIEW " + QuoteIdent(view) + " AS SELECT * FROM lh_cache." + QuoteIdent(view));
      }
    } else {
      (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
      s = conn.Execute("CREATE OR REPLACE VIEW " + QuoteIdent(view) + " AS SELECT * FROM " + scan);
    }
    if (!s.ok()) {
      spdlog::warn("view {}: {}", view, s.message());
      continue;
    }
    created[view] = signature;
  }
  views_ = std::move(created);
  views_generation_ = generation;
  return Status::Ok();
}

Result<QueryResult> QueryEngine::Run(const QueryRequest& request) {
  // Open on first use, and again after the buckets changed.
  if (!std::atomic_load(&db_) || buckets_.Generation() != opened_bucket_generation_.load()) {
    LH_RETURN_IF_ERROR(Open());
  }
  int64_t max_rows = request.max_rows < 0 ? options_.max_rows
                                          : std::min(request.max_rows, options_.max_rows);
  int64_t timeout_ms = request.timeout_ms <= 0 ? options_.timeout_ms
                                               : std::min(request.timeout_ms, options_.timeout_ms);
  LH_ASSIGN_OR_RETURN(Pooled pooled, Borrow());
  Connection* conn = pooled.conn.get();
  Status synced = SyncViews(*conn);
  if (!synced.ok()) {
    Return(std::move(pooled));
    return synced;
  }
  watchdog_->Watch(conn, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
  auto result = conn->Query(request.sql, {max_rows, StatementPolicy::kReadOnly});
  watchdog_->Forget(conn);
  Return(std::move(pooled));
  return result;
}

}  // namespace lakehouse::engine
