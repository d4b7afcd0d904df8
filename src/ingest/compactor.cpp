#include "ingest/compactor.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/files.h"
#include "common/memory.h"
#include "common/names.h"

namespace lakehouse::ingest {

using catalog::DataFile;
using catalog::Manifest;

namespace {

// Compacted versions keep a small entry in the history (number, rows, where
// their rows went); past this many the oldest entries go.
constexpr size_t kMaxCompactedStubs = 50;

void PruneCompactedStubs(Manifest& m) {
  size_t stubs = 0;
  for (const auto& v : m.versions) stubs += v.compacted_into != 0 && v.files.empty();
  for (auto it = m.versions.begin(); stubs > kMaxCompactedStubs && it != m.versions.end();) {
    if (it->compacted_into != 0 && it->files.empty()) {
      it = m.versions.erase(it);
      --stubs;
    } else {
      ++it;
    }
  }
}

}  // namespace

Compactor::Compactor(catalog::Catalog& catalog, storage::BucketRegistry& buckets, CompactionOptions options)
    : catalog_(catalog), buckets_(buckets), options_(options) {}

Compactor::~Compactor() { Stop(); }

Status Compactor::Open() {
  engine::DatabaseOptions db_options;
  db_options.threads = std::max(1, options_.threads);
  // Small files merge in little memory; the rest of the machine is for queries.
  db_options.memory_limit = MemoryLimitShare(0.05);
  LH_ASSIGN_OR_RETURN(db_, engine::Database::Open(db_options));
  return Status::Ok();
}

Result<CompactionResult> Compactor::Compact(const std::string& name, bool force) {
  std::lock_guard lock(mutex_);
  if (!db_) LH_RETURN_IF_ERROR(Open());  // on first use: most CLI commands never compact
  LH_ASSIGN_OR_RETURN(Manifest snapshot, catalog_.Get(name));
  CompactionResult result;
  if (snapshot.versions.empty()) return result;
  const auto& version = snapshot.current();
  std::vector<DataFile> small;
  for (const auto& f : version.files) {
    if (f.bytes < options_.small_file_bytes) small.push_back(f);
  }
  std::stable_sort(small.begin(), small.end(), [](const DataFile& a, const DataFile& b) { return a.bytes < b.bytes; });
  std::vector<DataFile> chosen;
  uint64_t bytes = 0;
  for (const auto& f : small) {
    bool too_big = !force && !chosen.empty() && f.bytes > bytes * static_cast<uint64_t>(options_.tier_ratio);
    if (too_big || bytes + f.bytes > options_.max_merged_bytes) break;
    chosen.push_back(f);
    bytes += f.bytes;
  }
  if (chosen.size() < 2 || (!force && static_cast<int>(chosen.size()) < options_.min_files)) return result;
  LH_ASSIGN_OR_RETURN(auto store, buckets_.Get(snapshot.bucket));
  std::string list;
  int64_t rows = 0;
  for (const auto& f : chosen) {
    auto path = store->LocalPath(f.key);
    if (!path) return Internal("file " + f.key + " of '" + name + "' is not local");
    list += (list.empty() ? "" : ", ") + QuoteLiteral(path->string());
    rows += f.rows;
  }
  TempFileGuard merged(UniqueTempPath(store->StagingDir(), "compact"));
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  LH_ASSIGN_OR_RETURN(int64_t written,
                      conn->ExecuteCount("COPY (SELECT * FROM read_parquet([" + list + "], union_by_name = true)) TO " +
                                         QuoteLiteral(merged.path().string()) +
                                         " (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2)"));
  if (written != rows) {
    return Internal("compacting '" + name + "' wrote " + std::to_string(written) + " rows, expected " +
                    std::to_string(rows) + "; nothing changed");
  }
  uint64_t merged_bytes = fs::file_size(merged.path());
  std::set<std::string> chosen_keys;
  for (const auto& f : chosen) chosen_keys.insert(f.key);
  auto stored = catalog_.Mutate(name, [&](std::optional<Manifest> current) -> Result<Manifest> {
    if (!current || current->versions.empty()) return NotFound("dataset '" + name + "' is gone");
    Manifest m = std::move(*current);
    auto& old_version = m.current();
    size_t present = 0;
    for (const auto& f : old_version.files) present += chosen_keys.count(f.key);
    if (old_version.number != version.number || present != chosen_keys.size()) {
      return Conflict("dataset '" + name + "' changed during compaction; it will be compacted later");
    }
    catalog::DatasetVersion next;
    next.number = old_version.number + 1;
    next.created_at = Now();
    next.columns = old_version.columns;
    next.schema_diff = old_version.schema_diff;
    next.row_count = old_version.row_count;
    next.compacted_from = old_version.number;
    next.compacted_file_count = static_cast<int64_t>(chosen.size());
    DataFile big;
    big.key = "datasets/" + name + "/" + std::to_string(next.number) + "-1.parquet";
    big.rows = rows;
    big.bytes = merged_bytes;
    big.added_at = Now();
    for (const auto& f : old_version.files) {
      if (!chosen_keys.count(f.key)) continue;
      auto& sources = big.merged_sources.mutate();
      if (f.merged_sources.empty()) {
        sources.push_back({f.source_sha256, f.source_bytes});
      } else {
        sources.insert(sources.end(), f.merged_sources.begin(), f.merged_sources.end());
      }
    }
    if (auto& sources = big.merged_sources.mutate(); sources.size() > DataFile::kMaxMergedSources) {
      sources.erase(sources.begin(), sources.end() - static_cast<long>(DataFile::kMaxMergedSources));
    }
    LH_RETURN_IF_ERROR(store->PutStaged(merged.path(), big.key));
    merged.Release();
    next.files.push_back(std::move(big));
    TimePoint after = Now() + options_.delete_grace;
    for (auto& f : old_version.files) {
      if (chosen_keys.count(f.key)) {
        m.pending_deletes.mutate().push_back({f.key, after});
      } else {
        next.files.push_back(std::move(f));  // large files, and appends since the snapshot
      }
    }
    old_version.files.clear();
    old_version.columns.clear();
    old_version.schema_diff.reset();
    old_version.compacted_into = next.number;
    m.versions.push_back(std::move(next));
    PruneCompactedStubs(m);
    return m;
  });
  if (!stored.ok()) return stored.status();
  result.new_version = stored->current().number;
  result.files_merged = static_cast<int>(chosen.size());
  result.rows = rows;
  spdlog::info("compacted {}: {} files into 1 ({} rows), version {}", name, chosen.size(), rows, result.new_version);
  return result;
}

Status Compactor::RemoveExpiredFiles(const std::string& name) {
  LH_ASSIGN_OR_RETURN(Manifest m, catalog_.Get(name));
  TimePoint now = Now();
  std::set<std::string> due;
  for (const auto& p : m.pending_deletes) {
    if (p.after <= now) due.insert(p.key);
  }
  if (due.empty()) return Status::Ok();
  LH_ASSIGN_OR_RETURN(auto store, buckets_.Get(m.bucket));
  // Files first, then the list: a crash between leaves entries whose files
  // are gone, and removing them again is harmless.
  for (const auto& key : due) {
    Status s = store->Delete(key);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  return catalog_
      .Mutate(name,
              [&](std::optional<Manifest> current) -> Result<Manifest> {
                if (!current) return NotFound("dataset '" + name + "' is gone");
                std::erase_if(current->pending_deletes.mutate(), [&](const auto& p) { return due.count(p.key) > 0; });
                return std::move(*current);
              })
      .status();
}

int Compactor::RunOnce() {
  int compacted = 0;
  for (const auto& m : catalog_.List()) {
    if (!m.pending_deletes.empty()) {
      if (Status s = RemoveExpiredFiles(m.name); !s.ok()) spdlog::warn("compaction of {}: {}", m.name, s.message());
    }
    bool quiet = !m.versions.empty() && m.current().files.size() > 1 && Now() - m.updated_at > options_.quiet_after;
    auto r = Compact(m.name, quiet);
    if (!r.ok() && r.status().code() != StatusCode::kConflict && r.status().code() != StatusCode::kNotFound) {
      spdlog::warn("compaction of {}: {}", m.name, r.status().message());
    }
    compacted += r.ok() && r->new_version != 0;
  }
  return compacted;
}

void Compactor::Notify(const std::string& name) {
  {
    std::lock_guard lock(stop_mutex_);
    notified_.insert(name);
  }
  stop_cv_.notify_all();
}

void Compactor::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    // Compaction is never urgent: on a busy machine it yields to requests
    // (the lowest nice value still gets a share, unlike SCHED_IDLE, so it
    // keeps up under constant load). Linux applies nice per thread.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    auto next_pass = std::chrono::steady_clock::now();
    std::unique_lock lock(stop_mutex_);
    while (!stop_) {
      if (std::chrono::steady_clock::now() >= next_pass) {
        notified_.clear();
        lock.unlock();
        RunOnce();
        lock.lock();
        next_pass = std::chrono::steady_clock::now() + options_.interval;
      }
      while (!notified_.empty() && !stop_) {
        std::string name = *notified_.begin();
        notified_.erase(notified_.begin());
        lock.unlock();
        auto r = Compact(name);
        if (!r.ok() && r.status().code() != StatusCode::kConflict && r.status().code() != StatusCode::kNotFound) {
          spdlog::warn("compaction of {}: {}", name, r.status().message());
        }
        lock.lock();
      }
      stop_cv_.wait_until(lock, next_pass, [&] { return stop_ || !notified_.empty(); });
    }
  });
}

void Compactor::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lakehouse::ingest
