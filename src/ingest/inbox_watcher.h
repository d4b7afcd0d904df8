// Watches the inbox folder and ingests each file that lands there once it has
// stopped growing. Layout (documented in README and docs/api.md):
//   inbox/orders.csv                  -> dataset "orders" (from the file name), primary bucket
//   inbox/sales/march.csv             -> dataset "sales", primary bucket
//   inbox/cold/sales/march.csv        -> dataset "sales" in bucket "cold"
// Afterwards the file moves to inbox/processed/, or to inbox/failed/ with a
// "<file>.error.txt" beside it saying why. The same bytes dropped twice are a
// no-op (the ingest pipeline recognises them) and still move to processed/.
//
// inotify wakes the watcher as soon as something changes; a poll every
// `poll_interval_ms` catches what inotify cannot see (network file systems,
// a full event queue). One thread; Start/Stop from the owner's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>
#include <mutex>
#include <thread>

#include "ingest/ingestor.h"

namespace lakehouse::ingest {

struct InboxOptions {
  std::filesystem::path dir;
  int poll_interval_ms = 10000;
  int settle_ms = 2000;  // a file must keep its size this long before it is ingested
};

class InboxWatcher {
 public:
  InboxWatcher(Ingestor& ingestor, InboxOptions options);
  ~InboxWatcher();

  Status Start();  // creates inbox/, processed/, failed/ and starts the thread
  void Stop();

  // One pass: ingests every file that is ready. Returns how many it handled.
  // A folder it cannot read is logged (once) and skipped; the rest is scanned.
  int ScanOnce();

  // Retries of a file that was ingested but cannot be moved out of the inbox
  // (it is never ingested again meanwhile): after 1 s, then twice as long
  // each time up to kMaxMoveAttempts; then it stays where it is, ignored
  // until it changes.
  static constexpr int kMaxMoveAttempts = 6;
  // Files left in the inbox because they could not be moved: path -> why.
  std::map<std::filesystem::path, std::string> Stuck() const;

 private:
  struct Seen {
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    std::chrono::steady_clock::time_point stable_since;
  };
  // A file handled already whose move out failed: where it should go.
  struct StuckFile {
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    bool succeeded = false;
    std::string error;  // the ingest error, for failed/<file>.error.txt
    std::string move_error;
    int attempts = 0;
    std::chrono::steady_clock::time_point next_try;
  };
  struct Found {
    std::filesystem::path path;
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
  };
  void Loop();
  // The candidate files under the inbox (never processed/ or failed/, never
  // symlinks), without stopping at a folder that cannot be read.
  std::vector<Found> ListFiles();
  void Handle(const std::filesystem::path& file, uintmax_t size, std::filesystem::file_time_type mtime);
  // Moves `file` to processed/ or failed/ (with its error text); false when it cannot.
  bool MoveOut(const std::filesystem::path& file, bool succeeded, const std::string& error, std::string* why);
  void RetryMove(const std::filesystem::path& file, StuckFile& stuck);
  void AddWatches();

  Ingestor& ingestor_;
  InboxOptions options_;
  std::map<std::filesystem::path, Seen> seen_;  // used by the watcher thread only
  mutable std::mutex stuck_mutex_;
  std::map<std::filesystem::path, StuckFile> stuck_;  // GUARDED_BY(stuck_mutex_)
  std::set<std::filesystem::path> unreadable_;        // folders reported once; watcher thread only
  std::atomic<bool> stop_{false};
  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd that Stop() writes to
  std::thread thread_;
};

}  // namespace lakehouse::ingest
