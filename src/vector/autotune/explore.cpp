#include "vector/autotune/explore.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

namespace lakehouse::vector::autotune {

namespace {

using Clock = std::chrono::steady_clock;
using Index = std::vector<size_t>;  // a position in each build knob's values

// After the target is met, this many more values of a query knob show
// what the next step of quality costs (the frontier above the champion).
constexpr int kStepsPastTarget = 2;
// A step that gains less than this is the knob saturating.
constexpr double kFlatGain = 0.001;

struct Tried {
  bool failed = false;
  bool feasible = false;  // some query setting met the target
  double best_p50 = 0;    // of the settings that met it
  double best_quality = 0;
};

// Better(a, b): a meets the target and b does not, or both do and a is
// faster, or neither does and a comes closer.
bool Better(const Tried& a, const Tried& b) {
  if (a.failed != b.failed) return !a.failed;
  if (a.feasible != b.feasible) return a.feasible;
  if (a.feasible) return a.best_p50 < b.best_p50;
  return a.best_quality > b.best_quality;
}

struct Arm {
  BackendKind kind;
  std::vector<KnobGrid> build, query;
  Index start;
  std::map<Index, Tried> tried;
  std::optional<Index> best;
  bool done = false;
};

bool AtMost(const Index& a, const Index& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
  }
  return true;
}

Arm MakeArm(BackendKind kind, size_t n, int dim) {
  Arm arm{kind, {}, {}, {}, {}, {}, false};
  for (auto& knob : TypeOf(kind).search_space(n, dim)) {
    if (knob.values.empty()) continue;
    (knob.query_knob ? arm.query : arm.build).push_back(std::move(knob));
  }
  const BackendOptions defaults = TypeOf(kind).defaults(n, dim, {});
  for (const auto& knob : arm.build) {
    auto it = defaults.find(knob.name);
    arm.start.push_back(it == defaults.end() ? 0 : NearestIndex(knob.values, it->second));
  }
  return arm;
}

BackendSpec SpecAt(const Arm& arm, const Index& at) {
  BackendSpec spec{arm.kind, {}};
  for (size_t i = 0; i < arm.build.size(); ++i) spec.options[arm.build[i].name] = arm.build[i].values[at[i]];
  return spec;
}

// The untried neighbours of the arm's best, in the order to try them.
std::optional<Index> NextOf(const Arm& arm) {
  if (!arm.best) return arm.tried.count(arm.start) ? std::nullopt : std::optional<Index>(arm.start);
  const Tried& best = arm.tried.at(*arm.best);
  std::vector<Index> down, up;
  for (size_t i = 0; i < arm.build.size(); ++i) {
    Index at = *arm.best;
    if (at[i] > 0) {
      --at[i];
      down.push_back(at);
      ++at[i];
    }
    if (at[i] + 1 < arm.build[i].values.size()) {
      ++at[i];
      up.push_back(at);
    }
  }
  std::vector<Index> order = best.feasible ? down : up;
  order.insert(order.end(), (best.feasible ? up : down).begin(), (best.feasible ? up : down).end());
  for (const Index& at : order) {
    if (arm.tried.count(at)) continue;
    bool hopeless = false;  // no larger than a build that missed the target
    for (const auto& [other, t] : arm.tried) {
      if (!t.failed && !t.feasible && AtMost(at, other)) hopeless = true;
    }
    if (!hopeless) return at;
  }
  return std::nullopt;
}

// Every query setting worth measuring on one build: the first query knob
// ascends in a chain for each setting of the others.
Status Sweep(MeasuredBuild& build, const std::vector<KnobGrid>& query, double target, std::vector<TunePoint>& out) {
  auto record = [&](const BackendOptions& knobs) -> Result<TuneMetrics> {
    LH_ASSIGN_OR_RETURN(auto m, build.Measure(knobs));
    m.build_s = build.build_s;
    m.bytes_per_vector = build.bytes_per_vector;
    TunePoint p{build.spec, m};
    for (const auto& [k, v] : knobs) p.spec.options[k] = v;
    out.push_back(p);
    return m;
  };
  if (query.empty()) return record({}).status();
  // Settings of the other knobs, ascending (an odometer over their values).
  Index outer(query.size() - 1, 0);
  double best_met_p50 = -1;
  while (true) {
    BackendOptions knobs;
    for (size_t i = 1; i < query.size(); ++i) knobs[query[i].name] = query[i].values[outer[i - 1]];
    int past = -1;  // steps since the chain met the target
    double previous = -1;
    bool chain_useful = false;
    for (int64_t value : query[0].values) {
      knobs[query[0].name] = value;
      LH_ASSIGN_OR_RETURN(auto m, record(knobs));
      const bool met = m.quality >= target;
      if (met && (best_met_p50 < 0 || m.p50_ms < best_met_p50)) {
        best_met_p50 = m.p50_ms;
        chain_useful = true;
      }
      if (!met && best_met_p50 < 0) chain_useful = true;
      if (met && past < 0) past = 0;
      else if (past >= 0) ++past;
      const bool flat = previous >= 0 && m.quality - previous < kFlatGain;
      if (past >= kStepsPastTarget || m.quality >= 0.9999 || (flat && (met || m.quality > 0.5))) break;
      previous = m.quality;
    }
    // A chain that neither met the target faster nor came closer means the
    // knobs further out only cost more.
    if (!chain_useful && best_met_p50 >= 0) break;
    size_t i = 0;
    while (i < outer.size() && ++outer[i] == query[i + 1].values.size()) outer[i++] = 0;
    if (i == outer.size()) break;
  }
  return Status::Ok();
}

}  // namespace

size_t NearestIndex(const std::vector<int64_t>& values, int64_t want) {
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (std::llabs(values[i] - want) < std::llabs(values[best] - want)) best = i;
  }
  return best;
}

Status SweepQueryKnobs(MeasuredBuild& build, double target, size_t n, int dim, std::vector<TunePoint>& out) {
  return Sweep(build, MakeArm(build.spec.kind, n, dim).query, target, out);
}

std::vector<BackendKind> AllBackends() { return {BackendKind::kFlat, BackendKind::kHnsw, BackendKind::kIvfPq}; }

size_t GridBuilds(const std::vector<BackendKind>& backends, size_t n, int dim) {
  size_t total = 0;
  for (BackendKind kind : backends) {
    size_t builds = 1;
    for (const auto& knob : TypeOf(kind).search_space(n, dim)) {
      if (!knob.query_knob && !knob.values.empty()) builds *= knob.values.size();
    }
    total += builds;
  }
  return total;
}

size_t DefaultMaxBuilds(const std::vector<BackendKind>& backends, size_t n, int dim) {
  return std::max(backends.size(), GridBuilds(backends, n, dim) / 4);
}

bool Dominates(const TuneMetrics& a, const TuneMetrics& b) {
  // Memory within a tenth counts as the same: ivf_pq keeps the raw vectors
  // for re-ranking, so its settings differ by a few code bytes on top of
  // thousands, and those alone would put every setting on the frontier.
  const bool bytes_tie = a.bytes_per_vector <= b.bytes_per_vector * 1.1 && b.bytes_per_vector <= a.bytes_per_vector * 1.1;
  const bool bytes_no_worse = bytes_tie || a.bytes_per_vector < b.bytes_per_vector;
  const bool bytes_better = !bytes_tie && a.bytes_per_vector < b.bytes_per_vector;
  bool no_worse = a.quality >= b.quality && a.p50_ms <= b.p50_ms && bytes_no_worse;
  bool better = a.quality > b.quality || a.p50_ms < b.p50_ms || bytes_better;
  return no_worse && better;
}

std::vector<TunePoint> ParetoFrontier(const std::vector<TunePoint>& points) {
  std::vector<TunePoint> out;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      // Equal metrics: the first of them stays.
      dominated = j != i && (Dominates(points[j].metrics, points[i].metrics) ||
                             (j < i && !Dominates(points[i].metrics, points[j].metrics) &&
                              points[j].metrics.quality == points[i].metrics.quality &&
                              points[j].metrics.p50_ms == points[i].metrics.p50_ms));
    }
    if (!dominated) out.push_back(points[i]);
  }
  std::stable_sort(out.begin(), out.end(), [](const TunePoint& a, const TunePoint& b) {
    return a.metrics.quality < b.metrics.quality;
  });
  return out;
}

std::optional<TunePoint> Champion(const std::vector<TunePoint>& points, double target) {
  std::optional<TunePoint> best;
  for (const auto& p : points) {
    if (p.metrics.quality < target) continue;
    if (!best || p.metrics.p50_ms < best->metrics.p50_ms ||
        (p.metrics.p50_ms == best->metrics.p50_ms && p.metrics.bytes_per_vector < best->metrics.bytes_per_vector)) {
      best = p;
    }
  }
  return best;
}

Result<ExploreResult> Explore(TrialScorer& scorer, const ExploreOptions& options, const ExploreHooks& hooks) {
  if (!(options.target > 0 && options.target <= 1)) return InvalidArgument("the target must be above 0 and at most 1");
  const auto backends = options.backends.empty() ? AllBackends() : options.backends;
  const auto started = Clock::now();
  ExploreResult result;
  result.grid_builds = GridBuilds(backends, options.vectors, options.dim);
  result.max_builds = options.full_grid ? result.grid_builds
                      : options.max_builds ? options.max_builds
                                           : DefaultMaxBuilds(backends, options.vectors, options.dim);
  std::vector<Arm> arms;
  for (BackendKind kind : backends) arms.push_back(MakeArm(kind, options.vectors, options.dim));
  std::vector<std::pair<size_t, Index>> grid;  // full_grid: every build, in order
  if (options.full_grid) {
    for (size_t a = 0; a < arms.size(); ++a) {
      Index at(arms[a].build.size(), 0);
      while (true) {
        grid.emplace_back(a, at);
        size_t i = 0;
        while (i < at.size() && ++at[i] == arms[a].build[i].values.size()) at[i++] = 0;
        if (i == at.size()) break;
      }
    }
  }
  auto run = [&](Arm& arm, const Index& at) {
    BuildTrial trial;
    trial.build = SpecAt(arm, at);
    if (hooks.started) hooks.started(trial.build, result.builds);
    ++result.builds;
    Tried tried;
    auto built = scorer.Build(trial.build);
    if (!built.ok()) {
      trial.error = built.status();
    } else {
      trial.build_s = (*built)->build_s;
      trial.error = Sweep(**built, arm.query, options.target, trial.points);
    }
    tried.failed = !trial.error.ok();
    for (const auto& p : trial.points) {
      tried.best_quality = std::max(tried.best_quality, p.metrics.quality);
      if (p.metrics.quality >= options.target && (!tried.feasible || p.metrics.p50_ms < tried.best_p50)) {
        tried.feasible = true;
        tried.best_p50 = p.metrics.p50_ms;
      }
    }
    if (!trial.points.empty()) tried.failed = false;  // measured before it failed: what it measured counts
    arm.tried[at] = tried;
    if (!tried.failed && (!arm.best || Better(tried, arm.tried.at(*arm.best)))) arm.best = at;
    if (arm.build.empty() || (!arm.best && tried.failed)) arm.done = true;  // nothing to move, or nowhere to start
    result.points.insert(result.points.end(), trial.points.begin(), trial.points.end());
    if (hooks.finished) hooks.finished(trial);
  };
  size_t next_grid = 0;
  while (true) {
    if (hooks.cancelled && hooks.cancelled()) {
      result.stopped = TuneStop::kCancelled;
      break;
    }
    // Pick the next build: in grid order, or the most promising backend's next step.
    Arm* arm = nullptr;
    std::optional<Index> at;
    if (options.full_grid) {
      if (next_grid < grid.size()) {
        arm = &arms[grid[next_grid].first];
        at = grid[next_grid++].second;
      }
    } else {
      for (auto& candidate : arms) {  // every backend's defaults first
        if (!candidate.done && !candidate.best && !candidate.tried.count(candidate.start)) {
          arm = &candidate;
          at = candidate.start;
          break;
        }
      }
      while (!at) {
        Arm* pick = nullptr;
        for (auto& candidate : arms) {
          if (candidate.done || !candidate.best) continue;
          if (!pick || Better(candidate.tried.at(*candidate.best), pick->tried.at(*pick->best))) pick = &candidate;
        }
        if (!pick) break;
        if (auto next = NextOf(*pick)) {
          arm = pick;
          at = next;
        } else {
          pick->done = true;
        }
      }
    }
    if (!at) {
      result.stopped = TuneStop::kConverged;
      break;
    }
    if (result.builds >= result.max_builds) {
      result.stopped = TuneStop::kBuildBudget;
      break;
    }
    if (options.max_seconds > 0 &&
        std::chrono::duration<double>(Clock::now() - started).count() >= options.max_seconds) {
      result.stopped = TuneStop::kTimeBudget;
      break;
    }
    run(*arm, *at);
  }
  result.frontier = ParetoFrontier(result.points);
  result.champion = Champion(result.points, options.target);
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace lakehouse::vector::autotune
