// Autotune runs a server does in the background (POST .../autotune
// without "wait"), one at a time on a thread of their own, so searches and
// refreshes go on; the agent (issue 14, next) will queue its trials here
// too. Started and stopped by the Runtime.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "vector/autotune/run.h"
#include "vector/refresh_scheduler.h"

namespace lakehouse::vector::autotune {

class AutotuneService {
 public:
  AutotuneService(Searcher& searcher, IndexRegistry& indexes, RefreshScheduler& scheduler);
  ~AutotuneService();

  // Queues a run; Conflict when one for the index is queued or running.
  Status Submit(const std::string& index, AutotuneRequest request);
  // Runs now on the caller's thread (wait: true), still one per index.
  Result<AutotuneOutcome> RunNow(const std::string& index, const AutotuneRequest& request,
                                 const AutotuneProgressFn& progress = {});

  struct State {
    bool queued = false;
    std::optional<AutotuneProgress> running;
    std::string last_error;  // of the last background run, if it failed
  };
  State StateOf(const std::string& index) const;
  // Cancels the run in progress (it stops after its current build) and the queue.
  void Stop();

 private:
  void Work();
  // Marks the index busy; false when it already is.
  bool Claim(const std::string& index);
  void Release(const std::string& index);
  Result<AutotuneOutcome> Execute(const std::string& index, const AutotuneRequest& request,
                                  const AutotuneProgressFn& progress);

  Searcher& searcher_;
  IndexRegistry& indexes_;
  RefreshScheduler& scheduler_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, AutotuneRequest>> queue_;  // GUARDED_BY(mutex_)
  std::map<std::string, State> states_;                        // GUARDED_BY(mutex_)
  std::map<std::string, bool> busy_;                           // GUARDED_BY(mutex_)
  bool stopping_ = false;                                      // GUARDED_BY(mutex_)
  std::atomic<bool> cancel_{false};
  std::thread worker_;
};

}  // namespace lakehouse::vector::autotune
