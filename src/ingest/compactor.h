// Background compaction: many small appends leave a dataset with many small
// Parquet files, and every query pays per file. The compactor rewrites the
// small files of a dataset's current version into one, as a new version
// with the same rows (its versions entry says `compaction: {from_version,
// files_before}`; the old version points at it with `compacted_into`).
//
// Atomic like every other change: the merged file is written and checked in
// staging, then one manifest write swaps the versions. Appends that land
// meanwhile are kept (they move to the new version). The replaced files are
// removed only after `delete_grace`, so queries that started before the swap
// can finish reading them; the manifest lists them until then
// (pending_deletes), so a crash never leaks or loses one.
//
// Thread-safe. Start() runs a background thread (the server); Compact() can
// be called directly (tests, the CLI).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "catalog/catalog.h"
#include "engine/database.h"
#include "storage/bucket_registry.h"

namespace lakehouse::ingest {

struct CompactionOptions {
  int min_files = 16;                        // small files in the current version before it is compacted
  uint64_t small_file_bytes = 32ull << 20;   // files below this size are merged
  uint64_t max_merged_bytes = 512ull << 20;  // one merge reads at most this much
  std::chrono::milliseconds delete_grace{60000};  // > the longest query
  std::chrono::milliseconds interval{5000};       // between passes over every dataset
  // A merge takes the smallest files first and stops at a file larger than
  // this many times what it has taken so far: a big merged file is not
  // rewritten for a few small ones (size-tiered, as LSM trees do).
  int tier_ratio = 4;
  // A dataset with no append for this long gets all its small files merged
  // into one (at least two, whatever their sizes): at rest, one file.
  std::chrono::milliseconds quiet_after{10000};
  int threads = 1;
};

struct CompactionResult {
  int new_version = 0;  // 0: nothing to do
  int files_merged = 0;
  int64_t rows = 0;
};

class Compactor {
 public:
  Compactor(catalog::Catalog& catalog, storage::BucketRegistry& buckets, CompactionOptions options);
  ~Compactor();

  // Compacts `name` now if it has at least min_files small files (force:
  // at least two, all of them, whatever the tiers). Conflict when the
  // dataset was replaced meanwhile.
  Result<CompactionResult> Compact(const std::string& name, bool force = false);
  // Removes the replaced files of `name` whose grace period is over.
  Status RemoveExpiredFiles(const std::string& name);
  // One background pass over every dataset; returns how many it compacted.
  int RunOnce();

  void Start();
  void Stop();
  // Tells the background thread that `name` got new files: it looks at it
  // at once instead of at the next pass.
  void Notify(const std::string& name);

 private:
  Status Open();  // requires mutex_ held

  catalog::Catalog& catalog_;
  storage::BucketRegistry& buckets_;
  CompactionOptions options_;
  std::shared_ptr<engine::Database> db_;
  std::mutex mutex_;  // one compaction at a time
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // GUARDED_BY(stop_mutex_)
  std::set<std::string> notified_;  // GUARDED_BY(stop_mutex_)
  std::thread thread_;
};

}  // namespace lakehouse::ingest
