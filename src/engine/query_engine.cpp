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
  DatabaseOptions db_options;
  db_options.threads = options_.threads;
  db_options.memory_limit = options_.memory_limit;
  db_options.sandboxed = true;
  db_options.allowed_directories = buckets_.Roots();
  LH_ASSIGN_OR_RETURN(db_, Database::Open(db_options));
  watchdog_ = std::make_unique<Watchdog>();
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
  std::set<std::string> wanted;
  for (const auto& m : catalog_.List()) {
    auto store = buckets_.Get(m.bucket);
    if (!store.ok()) {
      spdlog::warn("dataset {} lives in unknown bucket {}; no view", m.name, m.bucket);
      continue;
    }
    for (const auto& version : m.versions) {
      std::string files;
      for (const auto& f : version.files) {
        auto path = (*store)->LocalPath(f.key);
        if (path) files += (files.empty() ? "" : ", ") + QuoteLiteral(path->string());
      }
      if (files.empty()) continue;
      bool is_current = &version == &m.versions.back();
      std::string view = is_current ? m.name : m.name + "@v" + std::to_string(version.number);
      Status s = conn.Execute("CREATE OR REPLACE VIEW " + QuoteIdent(view) +
                              " AS SELECT * FROM read_parquet([" + files + "], union_by_name = true)");
      if (!s.ok()) {
        spdlog::warn("view {}: {}", view, s.message());
        continue;
      }
      wanted.insert(view);
    }
  }
  for (const auto& old : views_) {
    if (!wanted.count(old)) (void)conn.Execute("DROP VIEW IF EXISTS " + QuoteIdent(old));
  }
  views_ = std::move(wanted);
  views_generation_ = generation;
  return Status::Ok();
}

Result<QueryResult> QueryEngine::Run(const QueryRequest& request) {
  if (!db_) return Internal("query engine is not open");
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
