// Runs vector work in the background, one job at a time, so HTTP requests
// and ingests never wait for embedding: index builds, shadow re-embeds,
// refreshes an ingest triggered (policy on_append) and refreshes that fall
// due (policy scheduled, checked every tick). A job already queued for an
// index is not queued twice.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "vector/index_registry.h"

namespace lakehouse::vector {

class RefreshScheduler {
 public:
  explicit RefreshScheduler(IndexRegistry& indexes, int tick_ms = 1000);
  ~RefreshScheduler();

  // Starts the worker, and queues what a stopped server left undone:
  // builds still marked "building" and pending model changes.
  void Start();
  void Stop();

  void SubmitBuild(const std::string& index);
  void SubmitShadow(const std::string& index);
  void SubmitRefresh(const std::string& index);
  // An ingest, import or inbox drop committed new data to `dataset`.
  void OnDatasetChanged(const std::string& dataset);

  // Jobs queued or running, for status output ("refresh:docs_idx").
  std::vector<std::string> Pending() const;

 private:
  void Submit(const std::string& key, std::function<void()> job);
  void Run();
  void QueueDueRefreshes();

  IndexRegistry& indexes_;
  int tick_ms_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;  // GUARDED_BY(mutex_)
  std::set<std::string> queued_;                                     // GUARDED_BY(mutex_)
  std::string running_;                                              // GUARDED_BY(mutex_)
  std::map<std::string, TimePoint> last_due_;  // when each scheduled refresh last fell due; worker only
  bool stopping_ = false;                                            // GUARDED_BY(mutex_)
  std::thread worker_;
};

}  // namespace lakehouse::vector
