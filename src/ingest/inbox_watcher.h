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
  int ScanOnce();

 private:
  struct Seen {
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    std::chrono::steady_clock::time_point stable_since;
  };
  void Loop();
  void Handle(const std::filesystem::path& file);
  void AddWatches();

  Ingestor& ingestor_;
  InboxOptions options_;
  std::map<std::filesystem::path, Seen> seen_;  // used by the watcher thread only
  std::atomic<bool> stop_{false};
  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd that Stop() writes to
  std::thread thread_;
};

}  // namespace lakehouse::ingest
