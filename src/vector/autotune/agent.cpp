#include "vector/autotune/agent.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "common/crash_point.h"
#include "common/files.h"
#include "vector/autotune/agent_policy.h"
#include "vector/autotune/run.h"
#include "vector/autotune/scorers.h"
#include "vector/eval/eval_store.h"

namespace lakehouse::vector::autotune {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxResults = 20;
// A measurement the served index gives after a promotion may fall this far
// below the target without a rollback: sampling noise of one configuration.
constexpr double kVerifyTolerance = 0.01;
// Rounds of timing the trial's best against the served configuration
// before a promotion on speed.
constexpr int kConfirmRounds = 3;

// A build measured only once the server is quiet (requests come first),
// and not past the trial's deadline.
class Yielding final : public MeasuredBuild {
 public:
  Yielding(std::unique_ptr<MeasuredBuild> inner, std::function<void()> wait,
           Clock::time_point deadline = Clock::time_point::max())
      : inner_(std::move(inner)), wait_(std::move(wait)), deadline_(deadline) {
    spec = inner_->spec;
    build_s = inner_->build_s;
    bytes_per_vector = inner_->bytes_per_vector;
  }
  Result<TuneMetrics> Measure(const BackendOptions& knobs) override {
    wait_();
    if (Clock::now() > deadline_) return Timeout("the trial ran past trial_timeout_s; its sweep stopped there");
    return inner_->Measure(knobs);
  }

 private:
  std::unique_ptr<MeasuredBuild> inner_;
  std::function<void()> wait_;
  Clock::time_point deadline_;
};

TrialEntry Entry(const std::string& run, TrialEvent event, std::string reason) {
  TrialEntry e;
  e.run = run;
  e.by = Actor::kAgent;
  e.event = event;
  e.reason = std::move(reason);
  return e;
}

}  // namespace

lakehouse::Status ValidateAgentOptions(const AgentOptions& o) {
  if (o.wake_interval_s < 1) return InvalidArgument("agent.wake_interval_s must be at least 1");
  if (o.max_trials_per_hour < 1 || o.max_trials_per_hour > 3600) {
    return InvalidArgument("agent.max_trials_per_hour must be between 1 and 3600");
  }
  if (o.cooldown_s < 0 || o.trial_timeout_s < 1) {
    return InvalidArgument("agent.cooldown_s must not be negative and agent.trial_timeout_s at least 1");
  }
  if (!(o.epsilon >= 0 && o.epsilon <= 1)) return InvalidArgument("agent.epsilon must be between 0 and 1");
  if (!(o.promote_margin >= 0 && o.promote_margin < 1)) return InvalidArgument("agent.promote_margin must be in [0, 1)");
  if (!(o.target_recall > 0 && o.target_recall <= 1)) return InvalidArgument("agent.target_recall must be in (0, 1]");
  if (o.threads < 1 || o.threads > 256) return InvalidArgument("agent.threads must be between 1 and 256");
  if (o.queries < 10 || o.queries > 10000) return InvalidArgument("agent.queries must be between 10 and 10000");
  return Status::Ok();
}

Agent::Agent(Searcher& searcher, IndexRegistry& indexes, catalog::Catalog& catalog, const ForegroundLoad& foreground,
             AgentOptions options)
    : searcher_(searcher), indexes_(indexes), catalog_(catalog), foreground_(foreground), options_(options) {}

Agent::~Agent() { Stop(); }

void Agent::Start() {
  if (!options_.enabled || thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    next_wake_ = Now() + std::chrono::seconds(options_.wake_interval_s);
    // A promotion of ours that a stop cut off before it was measured again.
    for (const auto& m : indexes_.List()) {
      auto store = indexes_.buckets().Get(m.bucket);
      if (!store.ok()) continue;
      auto journal = TrialJournal(*store, m.name).Read();
      if (!journal.ok()) continue;
      for (auto it = journal->entries.rbegin(); it != journal->entries.rend(); ++it) {
        if (it->by != Actor::kAgent) continue;
        if (it->event == TrialEvent::kPromoted) QueueLocked(m.name);
        if (it->event == TrialEvent::kPromoted || it->event == TrialEvent::kVerified ||
            it->event == TrialEvent::kRolledBack || it->event == TrialEvent::kKept) {
          break;
        }
      }
    }
  }
  PollDatasets();  // what the datasets hold now is the baseline, not a change
  thread_ = std::thread([this] { Loop(); });
}

void Agent::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Agent::QueueLocked(const std::string& index) {
  if (std::find(queue_.begin(), queue_.end(), index) == queue_.end()) queue_.push_back(index);
}

lakehouse::Status Agent::Enqueue(const std::string& index) {
  LH_RETURN_IF_ERROR(indexes_.Get(index).status());
  if (!options_.enabled) return Conflict("the autotune agent is off; set [agent] enabled = true in lakehouse.toml");
  {
    std::lock_guard lock(mutex_);
    QueueLocked(index);
  }
  wake_.notify_all();
  return Status::Ok();
}

void Agent::OnDatasetChanged(const std::string& dataset) {
  if (!options_.enabled) return;
  auto manifest = catalog_.Get(dataset);
  {
    std::lock_guard lock(mutex_);
    // The poll must not see this change again as another one.
    if (manifest.ok()) seen_[dataset] = std::to_string(manifest->row_count());
    for (const auto& m : indexes_.IndexesOfDataset(dataset)) QueueLocked(m.name);
  }
  wake_.notify_all();
}

void Agent::PollDatasets() {
  std::map<std::string, std::string> now;
  for (const auto& d : catalog_.List()) now[d.name] = std::to_string(d.row_count());
  std::vector<std::string> changed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, signature] : now) {
      auto it = seen_.find(name);
      if (it != seen_.end() && it->second != signature) changed.push_back(name);
    }
    const bool first = !polled_;
    polled_ = true;
    seen_ = std::move(now);
    if (first) return;
  }
  for (const auto& dataset : changed) OnDatasetChanged(dataset);
}

AgentStatus Agent::Snapshot() const {
  std::lock_guard lock(mutex_);
  AgentStatus s;
  s.enabled = options_.enabled;
  s.queue.assign(queue_.begin(), queue_.end());
  s.running_index = running_;
  s.running_phase = phase_;
  s.running_build = running_build_;
  s.last = last_;
  s.next_wake = next_wake_;
  s.cooldown_until = cooldown_until_;
  const TimePoint hour_ago = Now() - std::chrono::hours(1);
  for (const auto& t : trial_starts_) s.trials_last_hour += t > hour_ago;
  s.max_trials_per_hour = options_.max_trials_per_hour;
  s.foreground_busy = foreground_.Busy(std::chrono::milliseconds(options_.quiet_ms));
  return s;
}

void Agent::SetPhase(const std::string& phase, const std::optional<BackendSpec>& build) {
  std::lock_guard lock(mutex_);
  phase_ = phase;
  running_build_ = build;
}

void Agent::WaitForQuiet() {
  std::unique_lock lock(mutex_);
  while (!stopping_ && foreground_.Busy(std::chrono::milliseconds(options_.quiet_ms))) {
    wake_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void Agent::Loop() {
  // Trials yield the CPU to everything else the server does: the lowest
  // priority for this thread, which the build threads it starts inherit.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
  auto last_poll = Clock::now();
  while (true) {
    std::string index;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms));
      if (stopping_) return;
      const TimePoint now = Now();
      if (now >= next_wake_) {
        for (const auto& m : indexes_.List()) QueueLocked(m.name);
        next_wake_ = now + std::chrono::seconds(options_.wake_interval_s);
      }
      while (!trial_starts_.empty() && trial_starts_.front() <= now - std::chrono::hours(1)) trial_starts_.pop_front();
      const bool cooling = cooldown_until_ && now < *cooldown_until_;
      const bool spent = static_cast<int>(trial_starts_.size()) >= options_.max_trials_per_hour;
      if (!queue_.empty() && !cooling && !spent && !foreground_.Busy(std::chrono::milliseconds(options_.quiet_ms))) {
        index = queue_.front();
        queue_.pop_front();
        running_ = index;
        trial_starts_.push_back(now);
      }
    }
    if (index.empty()) {
      if (Clock::now() - last_poll >= std::chrono::milliseconds(options_.tick_ms)) {
        PollDatasets();
        last_poll = Clock::now();
      }
      continue;
    }
    AgentResult result = RunTrial(index);
    spdlog::info("agent: index {}: {} ({})", index, TrialEventName(result.event), result.reason);
    std::lock_guard lock(mutex_);
    running_.reset();
    phase_.clear();
    running_build_.reset();
    cooldown_until_ = Now() + std::chrono::seconds(options_.cooldown_s);
  }
}

AgentResult Agent::RunTrial(const std::string& index) {
  AgentResult result;
  result.index = index;
  auto finish = [&](TrialEvent event, std::string reason) {
    result.at = Now();
    result.event = event;
    result.reason = std::move(reason);
    std::lock_guard lock(mutex_);
    last_.push_back(result);
    if (last_.size() > kMaxResults) last_.erase(last_.begin());
    return result;
  };
  SetPhase("proposing");
  ProcessLock running(indexes_.AutotuneLockPath(index), ProcessLock::Mode::kTry);
  if (!running.held()) return finish(TrialEvent::kKept, "an autotune run of this index is under way; skipped");
  auto manifest = indexes_.Get(index);
  if (!manifest.ok()) return finish(TrialEvent::kFailed, manifest.status().message());
  if (manifest->status != IndexStatus::kReady || !manifest->active || manifest->pending_backend ||
      manifest->pending_embedder) {
    return finish(TrialEvent::kKept, "the index is not ready or is building a generation; skipped");
  }
  const TuneTarget target = manifest->autotune ? manifest->autotune->target
                                               : TuneTarget{TuneMetric::kRecall, options_.target_recall, 10, ""};
  auto served = indexes_.Serve(index, !target.set.empty());
  if (!served.ok() || !served->index) return finish(TrialEvent::kFailed, "cannot load the index to measure it");
  auto store = indexes_.buckets().Get(served->manifest.bucket);
  if (!store.ok()) return finish(TrialEvent::kFailed, store.status().message());
  TrialJournal journal(*store, index);
  (void)journal.MarkInterrupted();
  auto contents = journal.Read();
  if (!contents.ok()) return finish(TrialEvent::kFailed, contents.status().message());
  auto run_id = journal.NextRunId();
  if (!run_id.ok()) return finish(TrialEvent::kFailed, run_id.status().message());
  result.run = *run_id;

  auto vectors = std::make_shared<const VectorRows>(LiveVectors(*served->index));
  std::unique_ptr<TrialScorer> scorer;
  if (target.metric == TuneMetric::kNdcg) {
    auto set = eval::LoadEvalSet(**store, index, target.set);
    if (!set.ok()) return finish(TrialEvent::kFailed, set.status().message());
    auto labelled = LabelledScorer::Make(searcher_, *served, vectors, *set, SearchMode::kHybrid, 10, std::nullopt,
                                         options_.threads);
    if (!labelled.ok()) return finish(TrialEvent::kFailed, labelled.status().message());
    scorer = std::move(*labelled);
  } else {
    scorer = std::make_unique<RecallScorer>(vectors, SampleQueries(*vectors, options_.queries, 1),
                                            static_cast<size_t>(target.k), options_.threads);
  }
  auto wait = [this] { WaitForQuiet(); };
  scorer->SetYield(wait);  // builds pause between inserts while requests are in flight
  const BackendSpec serving = served->index->generation.backend;
  auto measure_served = [&](const IndexRegistry::Serving& s) -> Result<TuneMetrics> {
    BuiltBackend current{s.index->backend, s.index->vectors, s.index->generation.backend, 0,
                         s.index->backend->MemoryBytes() + (s.index->vectors ? s.index->vectors->MemoryBytes() : 0)};
    Yielding build(scorer->Wrap(current), wait);
    return build.Measure(QueryKnobsOf(current.spec.kind, current.spec.options));
  };

  // A promotion of ours not yet measured since it was served (a stop cut it off).
  std::optional<TunePoint> unverified;
  std::string unverified_run;
  for (auto it = contents->entries.rbegin(); it != contents->entries.rend(); ++it) {
    if (it->by != Actor::kAgent) continue;
    if (it->event == TrialEvent::kPromoted) {
      unverified = it->champion;
      unverified_run = it->run;
    }
    if (it->event == TrialEvent::kPromoted || it->event == TrialEvent::kVerified ||
        it->event == TrialEvent::kRolledBack || it->event == TrialEvent::kKept) {
      break;
    }
  }
  auto verify = [&](const TunePoint& promoted, const std::string& run) -> AgentResult {
    SetPhase("verifying");
    auto again = indexes_.Serve(index, !target.set.empty());
    auto now = again.ok() ? measure_served(*again) : Result<TuneMetrics>(again.status());
    // Against the target, not the trial's figure: the shadow generation is
    // a new build, and an hnsw graph built again differs by a few hundredths.
    if (now.ok() && now->quality >= target.value - kVerifyTolerance) {
      char line[200];
      std::snprintf(line, sizeof line, "served, measured again: quality %.3f at p50 %.3f ms", now->quality, now->p50_ms);
      TrialEntry e = Entry(run, TrialEvent::kVerified, line);
      (void)journal.Append(e);
      return finish(TrialEvent::kVerified, line);
    }
    char line[240];
    std::snprintf(line, sizeof line, "after the promotion the served index measured quality %.3f (target %.3f); rolled back",
                  now.ok() ? now->quality : 0.0, target.value);
    auto back = indexes_.Rollback(index, Actor::kAgent, line);
    if (back.ok() && back->pending_backend) back = indexes_.BuildShadow(index);
    TrialEntry e = Entry(run, TrialEvent::kRolledBack, back.ok() ? line : std::string(line) + " failed: " + back.status().message());
    (void)journal.Append(e);
    return finish(TrialEvent::kRolledBack, e.reason);
  };
  if (unverified && unverified->spec == serving) {
    result.run = unverified_run;
    return verify(*unverified, unverified_run);
  }
  if (unverified) {
    // Someone changed what is served since: theirs is not ours to undo.
    TrialEntry e = Entry(unverified_run, TrialEvent::kKept,
                         "the agent's promotion was replaced before it was measured again; nothing to verify");
    (void)journal.Append(e);
    return finish(TrialEvent::kKept, e.reason);
  }

  std::vector<BackendSpec> tried;
  for (const auto& e : contents->entries) {
    if (e.build) tried.push_back(*e.build);
  }
  const std::vector<BackendKind> backends =
      manifest->autotune && !manifest->autotune->backends.empty() ? manifest->autotune->backends : AllBackends();
  auto proposal = Propose(serving, backends, vectors->labels.size(), vectors->dim, tried,
                          static_cast<uint64_t>(contents->entries.size()), options_.epsilon);
  if (!proposal) {
    TrialEntry e = Entry(result.run, TrialEvent::kKept, "every configuration near the champion has been tried");
    (void)journal.Append(e);
    return finish(TrialEvent::kKept, e.reason);
  }
  WaitForQuiet();
  auto champion = measure_served(*served);
  if (!champion.ok()) return finish(TrialEvent::kFailed, champion.status().message());

  const auto started = Clock::now();
  TrialEntry start = Entry(result.run, TrialEvent::kStarted, proposal->why);
  start.build = proposal->build;
  (void)journal.Append(start);
  SetPhase("building", proposal->build);
  MaybeCrash("agent:during_build");
  auto built = scorer->Build(proposal->build);
  TrialEntry measured = Entry(result.run, TrialEvent::kMeasured, proposal->why);
  measured.build = proposal->build;
  std::unique_ptr<Yielding> trial_build;
  if (built.ok()) {
    measured.build_s = (*built)->build_s;
    SetPhase("measuring", proposal->build);
    trial_build = std::make_unique<Yielding>(std::move(*built), wait,
                                             started + std::chrono::seconds(options_.trial_timeout_s));
    Status swept = SweepQueryKnobs(*trial_build, target.value, vectors->labels.size(), vectors->dim, measured.points);
    if (!swept.ok()) {
      measured.event = TrialEvent::kFailed;
      measured.reason = swept.message();
    }
  } else {
    measured.event = TrialEvent::kFailed;
    measured.reason = built.status().message();
  }
  (void)journal.Append(measured);
  if (measured.event == TrialEvent::kFailed) return finish(TrialEvent::kFailed, measured.reason);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (seconds > static_cast<double>(options_.trial_timeout_s)) {
    TrialEntry e = Entry(result.run, TrialEvent::kKept,
                         "the trial took " + std::to_string(static_cast<int>(seconds)) + " s, past trial_timeout_s; not promoted");
    (void)journal.Append(e);
    return finish(TrialEvent::kKept, e.reason);
  }
  Decision decision = Decide(*champion, measured.points, target.value, options_.promote_margin);
  if (decision.promote && champion->quality >= target.value) {
    // One sweep's p50 is noisy: both timed again, alternately, and the
    // margin must hold on the medians.
    std::vector<double> theirs, ours;
    for (int round = 0; round < kConfirmRounds; ++round) {
      auto a = measure_served(*served);
      auto b = trial_build->Measure(QueryKnobsOf(decision.best->spec.kind, decision.best->spec.options));
      if (!a.ok() || !b.ok()) break;
      theirs.push_back(a->p50_ms);
      ours.push_back(b->p50_ms);
    }
    TuneMetrics again = *champion;
    again.p50_ms = theirs.empty() ? champion->p50_ms : eval::Percentile(theirs, 0.5);
    TunePoint confirmed = *decision.best;
    if (!ours.empty()) confirmed.metrics.p50_ms = eval::Percentile(ours, 0.5);
    decision = Decide(again, {confirmed}, target.value, options_.promote_margin);
    decision.reason += " (timed again, " + std::to_string(theirs.size()) + " alternating rounds)";
  }
  trial_build.reset();
  if (!decision.promote) {
    TrialEntry e = Entry(result.run, TrialEvent::kKept, decision.reason);
    e.champion = decision.best;
    (void)journal.Append(e);
    return finish(TrialEvent::kKept, decision.reason);
  }
  SetPhase("promoting", decision.best->spec);
  auto promoted = PromoteChampion(indexes_, index, decision.best, Actor::kAgent, "agent: " + decision.reason, result.run);
  if (promoted.ok() && promoted->pending_backend) promoted = indexes_.BuildShadow(index);
  if (!promoted.ok()) return finish(TrialEvent::kFailed, "the promotion failed: " + promoted.status().message());
  return verify(*decision.best, result.run);
}

}  // namespace lakehouse::vector::autotune
