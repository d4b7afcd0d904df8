// Autotune's search over backends and settings: few builds, each swept
// over its query knobs (cheap), toward the fastest configuration that
// meets a quality target, with the Pareto frontier of everything measured.
//
// Builds follow a local search from each backend's defaults: one knob one
// step at a time, from the most promising backend, cheaper steps first
// while the target is met, costlier ones while it is not. A configuration
// no larger than one that missed the target is skipped without a build
// (FAISS's ParameterSpace::explore prunes on the same monotonic
// assumption). Query knobs ascend until the target is met and the gains
// flatten. What is measured comes from a TrialScorer: recall against exact
// search, or nDCG on labelled queries.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "vector/autotune/records.h"
#include "vector/candidate.h"

namespace lakehouse::vector::autotune {

// One built candidate; Measure runs the scorer's queries through it.
class MeasuredBuild {
 public:
  virtual ~MeasuredBuild() = default;
  // quality, p50_ms and p95_ms with these query knobs.
  virtual Result<TuneMetrics> Measure(const BackendOptions& query_knobs) = 0;
  BackendSpec spec;  // as built: every option filled in
  double build_s = 0;
  double bytes_per_vector = 0;
};

class TrialScorer {
 public:
  virtual ~TrialScorer() = default;
  // InvalidArgument when the vectors cannot take the settings (the
  // exploration records it and goes on).
  virtual Result<std::unique_ptr<MeasuredBuild>> Build(const BackendSpec& build) = 0;
  // A backend already built (the one an index serves), measured the same way.
  virtual std::unique_ptr<MeasuredBuild> Wrap(BuiltBackend built) = 0;
  // Called between a build's inserts, where it may wait (the agent's builds
  // pause while the server has requests in flight).
  void SetYield(std::function<void()> yield) { yield_ = std::move(yield); }

 protected:
  std::function<void()> yield_;
};

// One build and its sweep: what the trial journal records.
struct BuildTrial {
  BackendSpec build;  // the build knobs asked for
  std::vector<TunePoint> points;
  Status error;
  double build_s = 0;
};

struct ExploreOptions {
  double target = 0.95;
  size_t vectors = 0;  // n and dim: each backend's search space depends on them
  int dim = 0;
  std::vector<BackendKind> backends;  // empty: flat, hnsw, ivf_pq
  size_t max_builds = 0;              // 0: DefaultMaxBuilds
  double max_seconds = 0;             // 0: no limit
  bool full_grid = false;             // every build of every space (benchmarks)
};

struct ExploreHooks {
  std::function<void(const BackendSpec& build, size_t builds_so_far)> started;
  std::function<void(const BuildTrial&)> finished;
  std::function<bool()> cancelled;  // checked between builds
};

struct ExploreResult {
  std::vector<TunePoint> points;  // everything measured
  std::vector<TunePoint> frontier;
  std::optional<TunePoint> champion;
  size_t builds = 0, max_builds = 0, grid_builds = 0;
  TuneStop stopped = TuneStop::kConverged;
  double seconds = 0;
};

std::vector<BackendKind> AllBackends();
// Builds a full grid over `backends` would take.
size_t GridBuilds(const std::vector<BackendKind>& backends, size_t n, int dim);
// A quarter of the grid (rounded down), and at least one build per backend.
size_t DefaultMaxBuilds(const std::vector<BackendKind>& backends, size_t n, int dim);

Result<ExploreResult> Explore(TrialScorer& scorer, const ExploreOptions& options, const ExploreHooks& hooks = {});

// The position in `values` nearest `want` (a setting placed on a grid).
size_t NearestIndex(const std::vector<int64_t>& values, int64_t want);

// One build's sweep of its backend's query knobs, as Explore does it:
// every point measured is added to `out` (what was measured before an
// error stays there).
Status SweepQueryKnobs(MeasuredBuild& build, double target, size_t n, int dim, std::vector<TunePoint>& out);

// a is at least as good in quality, p50 and bytes per vector (within a
// tenth counts as equal), and better in one.
bool Dominates(const TuneMetrics& a, const TuneMetrics& b);
// The points no other dominates, by quality ascending.
std::vector<TunePoint> ParetoFrontier(const std::vector<TunePoint>& points);
// The lowest p50 with quality >= target (ties: fewer bytes); none if no point meets it.
std::optional<TunePoint> Champion(const std::vector<TunePoint>& points, double target);

}  // namespace lakehouse::vector::autotune
