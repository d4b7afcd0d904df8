// The autotune agent: a background service of the server ([agent] enabled
// = true) that proposes and runs trials by itself, one at a time, and
// promotes a trial only when it beats the served configuration by a
// margin, measuring it again once served and rolling back by itself if
// quality fell. Triggers: POST /vectors/agent/enqueue/{index}, a periodic
// wake, and every change to an index's dataset (ingest, import, inbox, or
// another process's CLI, seen by polling the catalog). Limits: trials per
// hour, a cooldown after each, a time cap per trial; its builds run on one
// thread at the lowest CPU priority, and it waits while requests are in
// flight. Every decision is in the index's trial journal with its reason.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "common/foreground.h"
#include "vector/autotune/trial_journal.h"
#include "vector/searcher.h"

namespace lakehouse::vector::autotune {

struct AgentOptions {
  bool enabled = false;
  int64_t wake_interval_s = 3600;   // every index is queued this often
  int max_trials_per_hour = 6;
  int64_t cooldown_s = 60;          // after each trial
  int64_t trial_timeout_s = 600;    // a trial past this is not promoted
  double epsilon = 0.25;            // share of proposals drawn from the whole space
  double promote_margin = 0.05;     // a trial must be this much faster (p50) at the target
  double target_recall = 0.95;      // for indexes never autotuned (else their last run's target)
  int threads = 1;                  // build threads of a trial
  size_t queries = 200;             // chunks sampled as queries (recall)
  int64_t quiet_ms = 500;           // no request this long before a trial starts or measures
  int64_t tick_ms = 1000;           // how often the dataset versions are polled
};
Status ValidateAgentOptions(const AgentOptions& o);

struct AgentResult {
  TimePoint at{};
  std::string index, run;
  TrialEvent event = TrialEvent::kKept;
  std::string reason;
};

struct AgentStatus {
  bool enabled = false;
  std::vector<std::string> queue;
  std::optional<std::string> running_index;
  std::string running_phase;  // proposing | building | measuring | promoting | verifying
  std::optional<BackendSpec> running_build;
  std::vector<AgentResult> last;  // newest last, at most 20
  TimePoint next_wake{};
  std::optional<TimePoint> cooldown_until;
  int trials_last_hour = 0;
  int max_trials_per_hour = 0;
  bool foreground_busy = false;
};

class Agent {
 public:
  Agent(Searcher& searcher, IndexRegistry& indexes, catalog::Catalog& catalog, const ForegroundLoad& foreground,
        AgentOptions options);
  ~Agent();
  void Start();  // no-op unless enabled
  void Stop();
  // NotFound for an unknown index; FailedPrecondition-like Conflict when the agent is off.
  lakehouse::Status Enqueue(const std::string& index);
  void OnDatasetChanged(const std::string& dataset);
  AgentStatus Snapshot() const;

  // One trial of `index` now, on the caller's thread (the loop's step; tests and benches).
  AgentResult RunTrial(const std::string& index);

 private:
  void Loop();
  void QueueLocked(const std::string& index);
  void PollDatasets();
  void SetPhase(const std::string& phase, const std::optional<BackendSpec>& build = std::nullopt);
  // Waits until no request has been in flight for quiet_ms (or stopping).
  void WaitForQuiet();

  Searcher& searcher_;
  IndexRegistry& indexes_;
  catalog::Catalog& catalog_;
  const ForegroundLoad& foreground_;
  AgentOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;               // GUARDED_BY(mutex_)
  std::deque<TimePoint> trial_starts_;          // GUARDED_BY(mutex_): the last hour's
  std::vector<AgentResult> last_;               // GUARDED_BY(mutex_)
  std::optional<std::string> running_;          // GUARDED_BY(mutex_)
  std::string phase_;                           // GUARDED_BY(mutex_)
  std::optional<BackendSpec> running_build_;    // GUARDED_BY(mutex_)
  TimePoint next_wake_{};                       // GUARDED_BY(mutex_)
  std::optional<TimePoint> cooldown_until_;     // GUARDED_BY(mutex_)
  std::map<std::string, std::string> seen_;     // GUARDED_BY(mutex_): dataset -> its row count when last seen
  bool polled_ = false;                         // GUARDED_BY(mutex_)
  bool stopping_ = false;                       // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace lakehouse::vector::autotune
