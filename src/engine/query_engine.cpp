#include "engine/query_engine.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "common/files.h"
#include "common/names.h"
#include "engine/masking.h"
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
  std::vector<std::filesystem::path> roots = db_options.allowed_directories;
  if (!options_.export_directory.empty()) roots.push_back(options_.export_directory);
  if (!options_.export_directory.empty()) db_options.allowed_directories.push_back(options_.export_directory);
  db_options.reopen_when_invalidated = false;
  auto fresh = std::make_shared<State>();
  fresh->bucket_generation = bucket_generation;
  fresh->roots = std::move(roots);
  // Every statement runs on these threads, and DuckDB's own workers start
  // from one of them: the kernel lets them read the data files and nothing
  // else, and write only where queries spill and exports are spooled.
  Confinement confinement;
  confinement.read_dirs = db_options.allowed_directories;
  // A rule holds a folder that exists: one made later would stay unreadable.
  for (const auto& dir : confinement.read_dirs) (void)EnsureDirectory(dir);
  for (const auto& dir : {options_.temp_directory, options_.export_directory}) {
    if (dir.empty()) continue;
    LH_RETURN_IF_ERROR(EnsureDirectory(dir));
    confinement.write_dirs.push_back(dir);
  }
  fresh->pool = std::make_shared<ConfinedPool>(confinement, std::max(1, options_.max_concurrent));
  if (!fresh->pool->confined()) {
    spdlog::warn("SQL runs unconfined ({}): links inside buckets are checked before queries run, not when files open",
                 fresh->pool->why_not());
  }
  LH_ASSIGN_OR_RETURN(fresh->db, fresh->pool->Run([&] { return Database::Open(db_options); }));
  LH_ASSIGN_OR_RETURN(auto conn, fresh->db->Connect());
  LH_RETURN_IF_ERROR(conn->Execute(std::string("CREATE SCHEMA IF NOT EXISTS lh_cache; CREATE SCHEMA IF NOT EXISTS ") +
                                   kRawSchema + "; CREATE SCHEMA IF NOT EXISTS " + kMaskedSchema));
  if (!watchdog_) watchdog_ = std::make_unique<Watchdog>();
  std::atomic_store(&state_, fresh);
  return fresh;
}

namespace {

// What SQL on a dataset says when `file` (as shown) is, or lies in, a link.
Status LinkedDataFile(const std::string& file) {
  return PermissionDenied("its data file " + file +
                          " is, or lies in, a symbolic link, which lakehouse never writes; remove the link and "
                          "restore the file (the server also removes links when it starts)");
}

// The dataset a "no dataset named 'X' (...)" error names (internal::DuckError), or "".
std::string MissingDataset(const Status& status) {
  const std::string& message = status.message();
  const std::string marker = "no dataset named '";
  auto at = message.find(marker);
  auto end = message.find("' (", at == std::string::npos ? 0 : at);
  if (at == std::string::npos || end == std::string::npos) return "";
  return message.substr(at + marker.size(), end - at - marker.size());
}

// Unquoted names fold case in DuckDB; ours are lower case.
template <typename Map>
auto FindView(Map& views, const std::string& name) {
  auto it = views.find(name);
  if (it != views.end()) return it;
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return views.find(lower);
}

std::string Raw(const std::string& view) { return std::string(kRawSchema) + "." + QuoteIdent(view); }
std::string Masked(const std::string& view) { return std::string(kMaskedSchema) + "." + QuoteIdent(view); }

std::string Joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

Status CannotRead(const std::string& view, const Status& why) {
  return Status(why.code() == StatusCode::kInternal ? StatusCode::kConflict : why.code(),
                "dataset '" + view + "' cannot be read: " + why.message());
}

}  // namespace

Status QueryEngine::SyncViews(State& state, Connection& conn, uint64_t generation,
                              const std::vector<catalog::Manifest>& datasets) {
  std::lock_guard lock(state.views_mutex);
  if (generation == state.views_generation) return Status::Ok();
  // What each view should read: the file list, and for small current
  // versions a table in memory (a Parquet scan costs ~1 ms of setup per
  // query, a table scan a fraction of that). Unchanged views are left alone.
  std::map<std::string, std::string> wanted;  // view -> source signature
  std::map<std::string, std::set<std::string>> wanted_masks;  // view -> the columns its masked twin masks
  decltype(state.scanned) scanned;
  uint64_t cached_bytes = 0;
  for (const auto& m : datasets) {
    auto store = buckets_.Get(m.bucket);
    if (!store.ok()) {
      spdlog::warn("dataset {} lives in unknown bucket {}; no view", m.name, m.bucket);
      continue;
    }
    for (const auto& version : m.versions) {
      std::string files, link;
      std::vector<std::filesystem::path> paths;
      uint64_t bytes = 0;
      for (const auto& f : version.files) {
        auto path = (*store)->LocalPath(f.key);
        if (path) files += (files.empty() ? "" : ", ") + QuoteLiteral(path->string());
        if (path) paths.push_back(*path);
        // We never write links; one placed by hand (the file, or a folder
        // on its way) could point anywhere.
        if (path && link.empty()) link = FirstLinkBelow((*store)->Root(), *path).string();
        bytes += f.bytes;
      }
      if (files.empty()) continue;
      bool is_current = &version == &m.versions.back();
      std::string view = is_current ? m.name : m.name + "@v" + std::to_string(version.number);
      bool cache = is_current && bytes <= options_.cache_dataset_max_bytes &&
                   cached_bytes + bytes <= options_.cache_max_bytes;
      if (cache) cached_bytes += bytes;
      wanted_masks[view] = MaskedColumns(m, version);
      wanted[view] = !link.empty() ? "link:" + link : std::string(cache ? "cached:" : "files:") + files;
      // One-shot (lazy) views are never cached: they scan too.
      if (link.empty() && (!cache || lazy_views_)) scanned[view] = {(*store)->Root(), std::move(paths)};
    }
  }
  state.scanned = std::move(scanned);
  if (lazy_views_) {
    // One-shot: what each view would read, built when a statement names it.
    for (auto& [view, signature] : wanted) {
      if (signature.rfind("cached:", 0) == 0) signature = "files:" + signature.substr(7);
      if (state.views.count(view) && state.views[view] == signature) continue;
      state.pending[view] = signature;
    }
    state.views_generation = generation;
    return Status::Ok();
  }
  for (const auto& [view, signature] : state.views) {
    if (wanted.count(view)) continue;
    (void)conn.Execute("DROP VIEW IF EXISTS " + Masked(view));
    (void)conn.Execute("DROP VIEW IF EXISTS " + Raw(view));
    (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
  }
  std::map<std::string, std::string> created;
  std::map<std::string, std::string> quarantined;
  std::set<std::string> rebuilt;
  for (const auto& [view, signature] : wanted) {
    auto old = state.views.find(view);
    if (old != state.views.end() && old->second == signature) {
      created[view] = signature;
      if (auto q = state.quarantined.find(view); q != state.quarantined.end()) quarantined[view] = q->second;
      continue;
    }
    created[view] = signature;  // a failed view is not retried until its files change
    rebuilt.insert(view);
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
      (void)conn.Execute("DROP VIEW IF EXISTS " + Raw(view));
      (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
    }
  }
  // The masked twins: built again with their view, or when the catalog's
  // flags changed. One that cannot be built is absent, so masked callers
  // cannot read that dataset (nothing falls back to the raw view).
  std::map<std::string, std::string> masks;
  for (const auto& [view, signature] : created) {
    if (quarantined.count(view)) {
      (void)conn.Execute("DROP VIEW IF EXISTS " + Masked(view));
      continue;
    }
    std::string mask = Joined(wanted_masks[view]);
    auto old = state.masks.find(view);
    if (!rebuilt.count(view) && old != state.masks.end() && old->second == mask) {
      masks[view] = mask;
      continue;
    }
    if (Status s = BuildMaskedView(conn, view, wanted_masks[view]); s.ok()) {
      masks[view] = mask;
    } else {
      spdlog::warn("dataset view {}: no masked view ({}); keys without the pii grant cannot read it", view, s.message());
      (void)conn.Execute("DROP VIEW IF EXISTS " + Masked(view));
    }
  }
  state.masks = std::move(masks);
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
  if (signature.rfind("link:", 0) == 0) return LinkedDataFile(signature.substr(5));
  bool cache = signature.rfind("cached:", 0) == 0;
  // Matching columns by name across files costs a fifth of a full scan;
  // one file has nothing to match.
  std::string files = signature.substr(signature.find(':') + 1);
  bool several = files.find("', '") != std::string::npos;
  std::string scan = "read_parquet([" + files + "]" + (several ? ", union_by_name = true)" : ")");
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
    if (s.ok()) return run("CREATE OR REPLACE VIEW " + Raw(view) + " AS SELECT * FROM lh_cache." + QuoteIdent(view));
    if (s.code() == StatusCode::kInternal) return s;
    // Too slow or too big to hold: still queryable as a scan of its files.
    spdlog::info("dataset view {}: not cached ({})", view, s.message());
    (void)conn.Execute("DROP TABLE IF EXISTS lh_cache." + QuoteIdent(view));
  }
  return run("CREATE OR REPLACE VIEW " + Raw(view) + " AS SELECT * FROM " + scan);
}

Status QueryEngine::BuildMaskedView(Connection& conn, const std::string& view, const std::set<std::string>& columns) {
  LH_ASSIGN_OR_RETURN(auto described,
                      conn.Query("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = " +
                                 QuoteLiteral(kRawSchema) + " AND table_name = " + QuoteLiteral(view) +
                                 " ORDER BY column_index"));
  std::vector<std::pair<std::string, std::string>> shape;
  for (size_t r = 0; r < described.rows.size(); ++r) shape.emplace_back(described.Text(r, 0), described.Text(r, 1));
  if (shape.empty()) return Internal("its view has no columns");
  return conn.Execute("CREATE OR REPLACE VIEW " + Masked(view) + " AS SELECT " + MaskedSelectList(shape, columns) +
                      " FROM " + Raw(view));
}

Status QueryEngine::AppendToCache(Connection& conn, const std::string& view, const std::string& new_files) {
  Watchdog::Scope deadline(*watchdog_, conn, std::chrono::milliseconds(options_.view_timeout_ms));
  // BY NAME: columns the new files lack are NULL; a column the table lacks
  // fails, and the caller rebuilds the table with it.
  return conn.Execute("INSERT INTO lh_cache." + QuoteIdent(view) + " BY NAME SELECT * FROM read_parquet([" + new_files +
                      "], union_by_name = true)");
}

std::string QueryEngine::UnconfinedBecause() const {
  auto state = std::atomic_load(&state_);
  return state && state->pool ? state->pool->why_not() : "";
}

std::map<std::string, std::string> QueryEngine::Quarantined() const {
  std::lock_guard lock(report_mutex_);
  return quarantined_report_;
}

Status QueryEngine::CheckReads(State& state, const SqlReads& reads, bool masked) {
  if (masked) LH_RETURN_IF_ERROR(CheckMaskedReads(reads));
  LH_RETURN_IF_ERROR(CheckNoLinks(reads.literals, state.roots));
  std::lock_guard lock(state.views_mutex);
  for (const auto& table : reads.tables) {
    auto it = FindView(state.scanned, table);
    if (it == state.scanned.end()) continue;
    const auto& [root, files] = it->second;
    for (const auto& file : files) {
      if (!FirstLinkBelow(root, file).empty()) {
        return CannotRead(it->first, LinkedDataFile(file.filename().string()));
      }
    }
  }
  return Status::Ok();
}

// A connection of the current database with its views in sync, and one of
// the engine's slots: given back when the lease goes.
struct QueryEngine::Lease {
  std::counting_semaphore<1 << 20>& slots;
  std::shared_ptr<State> state;
  std::unique_ptr<Connection> conn;
  bool masked = false;  // conn resolves names to the masked views
  Lease(std::counting_semaphore<1 << 20>& s) : slots(s) {}
  ~Lease() {
    if (conn && state && !state->db->Invalidated()) {
      std::lock_guard lock(state->pool_mutex);
      state->connections[masked].push_back(std::move(conn));
    }
    conn.reset();
    slots.release();
  }
};

Result<std::unique_ptr<QueryEngine::Lease>> QueryEngine::Borrow(int64_t wait_ms, bool masked) {
  if (!slots_.try_acquire_for(std::chrono::milliseconds(wait_ms))) {
    return Unavailable("the query engine is busy: " + std::to_string(options_.max_concurrent) +
                       " queries were running for the whole time limit ([query] max_concurrent); try again");
  }
  auto lease = std::make_unique<Lease>(slots_);
  lease->masked = masked;
  // Opened on first use, and again after the buckets changed (here, on the
  // caller's thread: a confined thread could not start the next pool).
  LH_ASSIGN_OR_RETURN(lease->state, Current());
  {
    std::lock_guard lock(lease->state->pool_mutex);
    auto& idle = lease->state->connections[masked];
    if (!idle.empty()) {
      lease->conn = std::move(idle.back());
      idle.pop_back();
    }
  }
  if (!lease->conn) {
    LH_ASSIGN_OR_RETURN(auto conn, lease->state->db->Connect());
    // The one setting a locked configuration still lets a connection change.
    LH_RETURN_IF_ERROR(conn->Execute(std::string("SET search_path = '") + (masked ? kMaskedSchema : kRawSchema) + "'"));
    lease->conn = std::move(conn);
  }
  // The catalog reads its own files, here; views and caches read data
  // files, on a confined thread.
  uint64_t generation = catalog_.Generation();
  {
    std::lock_guard lock(lease->state->views_mutex);
    if (generation == lease->state->views_generation) return lease;  // the usual case: no handoff
  }
  std::vector<catalog::Manifest> datasets = catalog_.List();
  LH_RETURN_IF_ERROR(
      lease->state->pool->Run([&] { return SyncViews(*lease->state, *lease->conn, generation, datasets); }));
  return lease;
}


template <typename T, typename F>
Result<T> QueryEngine::WithLazyViews(State& state, Connection& conn, F attempt) {
  for (int built = 0;; ++built) {
    Result<T> result = attempt();
    if (result.ok()) return result;
    std::string name = MissingDataset(result.status());
    if (name.empty()) return result;
    std::lock_guard lock(state.views_mutex);
    // A dataset whose view could not be built is there, and says why.
    if (auto q = FindView(state.quarantined, name); q != state.quarantined.end()) {
      return CannotRead(q->first, Conflict(q->second));
    }
    if (!lazy_views_ || built >= 256) return result;
    auto it = FindView(state.pending, name);
    if (it == state.pending.end()) return result;
    if (Status s = BuildView(conn, it->first, it->second); !s.ok()) return CannotRead(it->first, s);
    state.views[it->first] = it->second;
    state.pending.erase(it);
  }
}

Result<QueryResult> QueryEngine::Run(const QueryRequest& request) {
  // Analysing a statement costs memory several times its size: 1 MiB of SQL
  // is far past any query written by hand, and past it lists belong in a dataset.
  constexpr size_t kMaxSqlBytes = 1 << 20;
  if (request.sql.size() > kMaxSqlBytes) {
    return TooLarge("the SQL text is " + std::to_string(request.sql.size() >> 10) +
                    " KiB, over the 1024 KiB a statement may have; ingest long value lists as a dataset and join it");
  }
  int64_t max_rows = request.max_rows < 0 ? options_.max_rows : std::min(request.max_rows, options_.max_rows);
  if (request.uncapped) max_rows = request.max_rows;
  int64_t timeout_ms = request.timeout_ms <= 0 ? options_.timeout_ms : std::min(request.timeout_ms, options_.timeout_ms);
  // One-shot (CLI) engines are the files' owner's, and have no masked views.
  if (request.masked && lazy_views_) return PermissionDenied("masked queries need the server's views");
  LH_ASSIGN_OR_RETURN(auto lease, Borrow(timeout_ms, request.masked));
  Watchdog::Scope deadline(*watchdog_, *lease->conn, std::chrono::milliseconds(timeout_ms));
  State& state = *lease->state;
  return state.pool->Run([&] {
    return WithLazyViews<QueryResult>(state, *lease->conn, [&] {
      return lease->conn->Query(request.sql, {max_rows, request.uncapped ? -1 : options_.max_bytes,
                                              StatementPolicy::kReadOnly, request.first_column_strings, request.sink,
                                              [this, &state, &request](const SqlReads& reads) {
                                                return CheckReads(state, reads, request.masked);
                                              }});
    });
  });
}

Result<std::unique_ptr<ExportJob>> QueryEngine::StartExport(const std::string& sql, ExportFormat format, bool masked) {
  if (options_.export_directory.empty()) return Unavailable("exports are not set up in this process");
  LH_RETURN_IF_ERROR(EnsureDirectory(options_.export_directory));
  if (masked && lazy_views_) return PermissionDenied("masked exports need the server's views");
  LH_ASSIGN_OR_RETURN(auto borrowed, Borrow(options_.timeout_ms, masked));
  std::shared_ptr<Lease> lease = std::move(borrowed);
  // What fails at once (syntax, unknown names, writes) is refused here,
  // while the caller can still answer with an error instead of a cut stream.
  LH_RETURN_IF_ERROR(lease->state->pool
                         ->Run([&] {
                           return WithLazyViews<bool>(*lease->state, *lease->conn, [&]() -> Result<bool> {
                             LH_RETURN_IF_ERROR(lease->conn->CheckSelect(sql, [this, &lease, masked](const SqlReads& reads) {
                               return CheckReads(*lease->state, reads, masked);
                             }));
                             return true;
                           });
                         })
                         .status());
  // A name no one can guess ahead: a link planted there fails the export anyway (O_EXCL).
  std::random_device random;
  auto spool = UniqueTempPath(options_.export_directory, std::string("export-") + std::to_string(random()) +
                                                              std::to_string(random()) + ExportExtension(format));
  Connection* conn = lease->conn.get();
  std::shared_ptr<ConfinedPool> pool = lease->state->pool;
  auto work = [this, conn, sql, spool, format, pool]() -> Result<int64_t> {
    Watchdog::Scope deadline(*watchdog_, *conn, std::chrono::milliseconds(options_.export_timeout_ms));
    auto rows = pool->Run(
        [&] { return conn->CopySelectTo(sql, spool, ExportCopyOptions(format), format != ExportFormat::kParquet); });
    if (!rows.ok() && rows.status().code() == StatusCode::kTimeout) {
      return Timeout("the export ran past its time limit of " + std::to_string(options_.export_timeout_ms) +
                     " ms ([query] export_timeout_ms)");
    }
    return rows;
  };
  return std::make_unique<ExportJob>(spool, format, conn, lease, std::move(work));
}

Result<std::string> QueryEngine::SelectAllOf(const std::string& dataset) const {
  std::string name = dataset;
  int version = 0;
  if (auto at = dataset.rfind("@v"); at != std::string::npos) {
    name = dataset.substr(0, at);
    try {
      size_t used = 0;
      version = std::stoi(dataset.substr(at + 2), &used);
      if (used != dataset.size() - at - 2 || version <= 0) throw std::invalid_argument("version");
    } catch (const std::exception&) {
      return InvalidArgument("'" + dataset + "': a version is written name@vN, e.g. orders@v2");
    }
  }
  LH_ASSIGN_OR_RETURN(auto m, catalog_.Get(name));
  if (version > 0) {
    bool found = false;
    for (const auto& v : m.versions) found = found || (v.number == version && !v.files.empty());
    if (!found) {
      return NotFound("dataset " + name + " has no version " + std::to_string(version) + " with data (it is at v" +
                      std::to_string(m.versions.empty() ? 0 : m.current().number) + ")");
    }
  }
  // The current version's view is the dataset's own name.
  if (version > 0 && version == m.current().number) return "SELECT * FROM " + QuoteIdent(name);
  return "SELECT * FROM " + QuoteIdent(dataset);
}

}  // namespace lakehouse::engine
