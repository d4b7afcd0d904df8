#include "vector/autotune/run.h"

#include <thread>

#include "common/crash_point.h"
#include "common/files.h"

#include "vector/autotune/scorers.h"
#include "vector/autotune/trial_journal.h"
#include "vector/eval/eval_store.h"
#include "vector/eval/evaluator.h"

namespace lakehouse::vector::autotune {

namespace {

std::string Describe(const TunePoint& p, TuneMetric metric) {
  char line[200];
  std::snprintf(line, sizeof line, "%s %.3f at p50 %.3f ms, %.0f bytes per vector", TuneMetricName(metric),
                p.metrics.quality, p.metrics.p50_ms, p.metrics.bytes_per_vector);
  return line;
}

}  // namespace

const char* AutotunePhaseName(AutotunePhase phase) {
  switch (phase) {
    case AutotunePhase::kPreparing: return "preparing";
    case AutotunePhase::kBuilding: return "building";
    case AutotunePhase::kTuningWeight: return "tuning_weight";
    case AutotunePhase::kPromoting: return "promoting";
    case AutotunePhase::kDone: return "done";
  }
  return "done";
}

Status ValidateAutotuneRequest(const AutotuneRequest& r) {
  if (!(r.target.value > 0 && r.target.value <= 1)) {
    return InvalidArgument("the target must be above 0 and at most 1 (recall@10 0.95, say)");
  }
  if (r.target.k < 1 || r.target.k > 100) return InvalidArgument("k must be between 1 and 100");
  if (r.target.metric == TuneMetric::kNdcg && r.target.set.empty()) {
    return InvalidArgument("an ndcg target needs an eval set with labelled queries: give 'set'");
  }
  if (r.target.metric == TuneMetric::kNdcg && r.target.k != 10) {
    return InvalidArgument("the ndcg target is nDCG@10: leave k at 10");
  }
  if (r.max_builds > 1000) return InvalidArgument("max_builds must be at most 1000");
  if (!(r.max_minutes > 0 && r.max_minutes <= 24 * 60)) {
    return InvalidArgument("max_minutes must be above 0 and at most 1440 (a day)");
  }
  if (r.queries < 10 || r.queries > 10000) return InvalidArgument("queries must be between 10 and 10000");
  for (BackendKind kind : r.backends) {
    if (kind == BackendKind::kAuto) return InvalidArgument("name the backends to consider (flat, hnsw, ivf_pq), not auto");
  }
  if (r.mode == SearchMode::kText) return InvalidArgument("text searches do not use the vector backend: use mode hybrid or vector");
  return Status::Ok();
}

Result<AutotuneOutcome> RunAutotune(Searcher& searcher, IndexRegistry& indexes, const std::string& index,
                                    const AutotuneRequest& request, const AutotuneProgressFn& progress,
                                    const std::atomic<bool>* cancel) {
  LH_RETURN_IF_ERROR(ValidateAutotuneRequest(request));
  LH_RETURN_IF_ERROR(indexes.Get(index).status());
  ProcessLock running(indexes.AutotuneLockPath(index), ProcessLock::Mode::kTry);
  if (!running.held()) return Conflict("index '" + index + "' is being autotuned by another process; wait for it to finish");
  const bool needs_embedder = !request.target.set.empty();
  LH_ASSIGN_OR_RETURN(auto served, indexes.Serve(index, needs_embedder));
  if (!served.index || served.manifest.status != IndexStatus::kReady) {
    return Conflict("index '" + index + "' is " + IndexStatusName(served.manifest.status) + "; wait until it is ready");
  }
  LH_ASSIGN_OR_RETURN(auto store, indexes.buckets().Get(served.manifest.bucket));
  std::optional<eval::EvalSet> set;
  if (!request.target.set.empty()) {
    LH_ASSIGN_OR_RETURN(set, eval::LoadEvalSet(*store, index, request.target.set));
  }

  AutotuneOutcome outcome;
  TrialJournal journal(store, index);
  LH_ASSIGN_OR_RETURN(outcome.interrupted, journal.MarkInterrupted());
  AutotuneProgress state;
  LH_ASSIGN_OR_RETURN(state.run, journal.NextRunId());
  auto report = [&] {
    if (progress) progress(state);
  };
  report();

  const int threads = request.threads > 0 ? request.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto vectors = std::make_shared<const VectorRows>(LiveVectors(*served.index));
  std::unique_ptr<TrialScorer> scorer;
  if (request.target.metric == TuneMetric::kNdcg) {
    LH_ASSIGN_OR_RETURN(scorer, LabelledScorer::Make(searcher, served, vectors, *set, request.mode, 10, std::nullopt,
                                                     threads));
  } else {
    QueryRows queries;
    if (set) {
      std::vector<std::string> texts;
      for (const auto& q : set->queries) texts.push_back(q.text);
      LH_ASSIGN_OR_RETURN(auto embedded, served.embedder->EmbedQueries(texts));
      for (auto& v : embedded) {
        if (Normalize(v).ok()) {
          queries.rows.insert(queries.rows.end(), v.begin(), v.end());
          queries.self.push_back(-1);
        }
      }
      if (queries.self.empty()) return InvalidArgument("eval set '" + set->name + "' has no query with words to embed");
    } else {
      queries = SampleQueries(*vectors, request.queries, request.seed);
    }
    scorer = std::make_unique<RecallScorer>(vectors, std::move(queries), static_cast<size_t>(request.target.k), threads);
  }

  ExploreOptions options;
  options.target = request.target.value;
  options.vectors = vectors->labels.size();
  options.dim = vectors->dim;
  options.backends = request.backends.empty() ? AllBackends() : request.backends;
  options.max_builds = request.max_builds;
  options.max_seconds = request.max_minutes * 60;
  std::vector<TunePoint> measured;
  ExploreHooks hooks;
  hooks.started = [&](const BackendSpec& build, size_t builds) {
    TrialEntry e;
    e.run = state.run;
    e.by = request.by;
    e.event = TrialEvent::kStarted;
    e.build = build;
    (void)journal.Append(e);
    MaybeCrash("autotune:during_build");
    state.phase = AutotunePhase::kBuilding;
    state.builds = builds;
    state.building = build;
    report();
  };
  hooks.finished = [&](const BuildTrial& trial) {
    TrialEntry e;
    e.run = state.run;
    e.by = request.by;
    e.event = trial.error.ok() ? TrialEvent::kMeasured : TrialEvent::kFailed;
    e.build = trial.build;
    e.points = trial.points;
    e.build_s = trial.build_s;
    if (!trial.error.ok()) e.reason = trial.error.message();
    (void)journal.Append(e);
    measured.insert(measured.end(), trial.points.begin(), trial.points.end());
    ++state.builds;
    state.building.reset();
    state.best = Champion(measured, request.target.value);
    report();
  };
  hooks.cancelled = [cancel] { return cancel && cancel->load(); };
  state.max_builds = request.max_builds ? request.max_builds
                                        : DefaultMaxBuilds(options.backends, options.vectors, options.dim);
  LH_ASSIGN_OR_RETURN(auto explored, Explore(*scorer, options, hooks));
  scorer.reset();  // its candidates and exact lists

  AutotuneSummary& s = outcome.summary;
  s.run = state.run;
  s.at = Now();
  s.target = request.target;
  s.generation = served.index->generation.number;
  s.vectors = vectors->labels.size();
  s.backends = options.backends;
  s.builds = explored.builds;
  s.max_builds = explored.max_builds;
  s.grid_builds = explored.grid_builds;
  s.seconds = explored.seconds;
  s.stopped = explored.stopped;
  s.champion = explored.champion;
  s.frontier = explored.frontier;
  if (set && request.mode == SearchMode::kHybrid && explored.champion) {
    state.phase = AutotunePhase::kTuningWeight;
    report();
    eval::EvalOptions weight;
    weight.mode = SearchMode::kHybrid;
    auto sweep = eval::TuneTextWeight(searcher, index, *set, weight);
    if (sweep.ok()) s.text_weight = sweep->chosen;  // too few labels or a flat sweep: the weight stays
  }
  TrialEntry finished;
  finished.run = s.run;
  finished.by = request.by;
  finished.event = TrialEvent::kRunFinished;
  finished.champion = s.champion;
  finished.reason = std::string("stopped: ") + TuneStopName(s.stopped) + "; " + std::to_string(s.builds) +
                    " builds of a " + std::to_string(s.grid_builds) + "-build grid; " +
                    (s.champion ? "champion " + Describe(*s.champion, s.target.metric)
                                : "no configuration met the target");
  LH_RETURN_IF_ERROR(journal.Append(finished));
  LH_RETURN_IF_ERROR(indexes.RecordAutotune(index, s).status());
  if (request.promote && s.champion) {
    state.phase = AutotunePhase::kPromoting;
    report();
    auto promoted = PromoteChampion(indexes, index, s.champion, request.by, "autotune " + s.run + " champion");
    // Already served, or another change building: the run stands, and says why.
    if (promoted.ok()) {
      outcome.promoted = *promoted;
    } else {
      outcome.promote_error = promoted.status().message();
    }
  }
  state.phase = AutotunePhase::kDone;
  report();
  return outcome;
}

size_t MarkInterruptedTrials(IndexRegistry& indexes) {
  size_t marked = 0;
  for (const auto& m : indexes.List()) {
    ProcessLock idle(indexes.AutotuneLockPath(m.name), ProcessLock::Mode::kTry);
    if (!idle.held()) continue;  // a run in another process: its builds are not cut off
    auto store = indexes.buckets().Get(m.bucket);
    if (!store.ok() || !(*store)->Stat(TrialsKey(m.name)).ok()) continue;
    auto n = TrialJournal(*store, m.name).MarkInterrupted();
    if (n.ok()) marked += *n;
  }
  return marked;
}

Result<IndexManifest> PromoteChampion(IndexRegistry& indexes, const std::string& index,
                                      const std::optional<TunePoint>& point, Actor by, const std::string& reason,
                                      const std::string& measured_by) {
  LH_ASSIGN_OR_RETURN(auto m, indexes.Get(index));
  std::optional<TunePoint> chosen = point;
  if (!chosen) {
    if (!m.autotune) return Conflict("index '" + index + "' has not been autotuned; run autotune first");
    if (!m.autotune->champion) {
      return Conflict("the last autotune of index '" + index + "' found no configuration that meets its target");
    }
    chosen = m.autotune->champion;
  }
  PromotionRecord record;
  record.by = by;
  record.to = chosen->spec;
  record.reason = reason;
  // Measured figures only for the champion itself; a backend named by a
  // request was not measured.
  if (!measured_by.empty()) {
    record.run = measured_by;
    record.quality = chosen->metrics.quality;
  } else if (m.autotune && m.autotune->champion && m.autotune->champion->spec == chosen->spec) {
    record.run = m.autotune->run;
    record.quality = m.autotune->champion->metrics.quality;
    record.text_weight = m.autotune->text_weight;
  }
  const std::string run = record.run;
  LH_ASSIGN_OR_RETURN(auto promoted, indexes.Promote(index, record));
  if (auto store = indexes.buckets().Get(promoted.bucket); store.ok()) {
    TrialJournal journal(*store, index);
    TrialEntry e;
    e.run = run;
    e.by = by;
    e.event = TrialEvent::kPromoted;
    e.champion = chosen;
    e.reason = reason + (promoted.pending_backend ? "; building it from the stored vectors (served when built: see "
                                                    "GET /vectors/promotions)"
                                                  : "; query settings only, served at once");
    (void)journal.Append(e);
  }
  return promoted;
}

}  // namespace lakehouse::vector::autotune
