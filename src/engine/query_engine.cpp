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
  if (db_) return Status::Ok();
  DatabaseOptions db_options;
  db_options.threads = options_.threads;
  db_options.memory_limit = options_.memory_limit;
  db_options.sandboxed = true;
  db_options.allowed_directories = buckets_.Roots();
  LH_ASSIGN_OR_RETURN(auto db, Database::Open(db_options));
  LH_ASSIGN_OR_RETURN(auto conn, db->Connect());
  LH_RETURN_IF_ERROR(conn->Execute("CREATE SCHEMA IF NOT EXISTS lh_cache"));
  watchdog_ = std::make_unique<Watchdog>();
  db_ = std::move(db);  // last: a non-null db_ means fully open
  return Status::Ok();
}

Result<std::unique_ptr<Connection>> QueryEngine::Borrow() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      auto conn = std::move(pool_.back());
      pool_.pop_back();
      return conn;
    }
  }
  return db_->Connect();
}

void QueryEngine::Return(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(pool_mutex_);
  pool_.push_back(std::move(conn));
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
  LH_RETURN_IF_ERROR(Open());  // opened on first use: CLI ingests never pay for it
  int64_t max_rows = request.max_rows < 0 ? options_.max_rows
                                          : std::min(request.max_rows, options_.max_rows);
  int64_t timeout_ms = request.timeout_ms <= 0 ? options_.timeout_ms
                                               : std::min(request.timeout_ms, options_.timeout_ms);
  LH_ASSIGN_OR_RETURN(auto conn, Borrow());
  Status synced = SyncViews(*conn);
  if (!synced.ok()) {
    Return(std::move(conn));
    return synced;
  }
  watchdog_->Watch(conn.get(), std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
  auto result = conn->Query(request.sql, {max_rows, StatementPolicy::kReadOnly});
  watchdog_->Forget(conn.get());
  Return(std::move(conn));
  return result;
}

}  // namespace lakehouse::engine
