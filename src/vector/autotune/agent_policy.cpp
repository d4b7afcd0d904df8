#include "vector/autotune/agent_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "vector/autotune/explore.h"

namespace lakehouse::vector::autotune {

namespace {

std::vector<KnobGrid> BuildGrid(BackendKind kind, size_t n, int dim) {
  std::vector<KnobGrid> out;
  for (auto& knob : TypeOf(kind).search_space(n, dim)) {
    if (!knob.query_knob && !knob.values.empty()) out.push_back(std::move(knob));
  }
  return out;
}

bool Tried(const std::vector<BackendSpec>& tried, const BackendSpec& build, size_t n, int dim) {
  const BackendSpec resolved = BuildKnobsOf(ResolveBackend(build, n, dim));
  for (const auto& t : tried) {
    if (BuildKnobsOf(ResolveBackend(t, n, dim)) == resolved) return true;
  }
  return false;
}

std::string Describe(const BackendSpec& spec) {
  std::string out = BackendKindName(spec.kind);
  for (const auto& [k, v] : spec.options) out += " " + k + "=" + std::to_string(v);
  return out;
}

}  // namespace

std::optional<Proposal> Propose(const BackendSpec& champion, const std::vector<BackendKind>& backends, size_t n,
                                int dim, const std::vector<BackendSpec>& tried, uint64_t seed, double epsilon) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> coin(0, 1);
  const auto kinds = backends.empty() ? AllBackends() : backends;
  const BackendSpec current = BuildKnobsOf(ResolveBackend(champion, n, dim));
  for (int draw = 0; draw < 64; ++draw) {
    const bool explore = coin(rng) < epsilon || BuildGrid(current.kind, n, dim).empty();
    Proposal p;
    p.explore = explore;
    if (explore) {
      BackendKind kind = kinds[rng() % kinds.size()];
      p.build.kind = kind;
      for (const auto& knob : BuildGrid(kind, n, dim)) p.build.options[knob.name] = knob.values[rng() % knob.values.size()];
      p.why = "explore: a random point of the space, " + Describe(p.build);
    } else {
      auto grid = BuildGrid(current.kind, n, dim);
      const KnobGrid& knob = grid[rng() % grid.size()];
      const BackendOptions filled = ResolveBackend(current, n, dim).options;
      size_t at = NearestIndex(knob.values, filled.count(knob.name) ? filled.at(knob.name) : knob.values.front());
      const bool up = rng() % 2 == 1;
      if ((up && at + 1 >= knob.values.size()) || (!up && at == 0)) continue;
      p.build = current;
      const int64_t from = filled.count(knob.name) ? filled.at(knob.name) : knob.values[at];
      p.build.options[knob.name] = knob.values[up ? at + 1 : at - 1];
      p.why = "exploit: the champion with " + knob.name + " " + std::to_string(from) + " -> " +
              std::to_string(p.build.options[knob.name]);
    }
    if (!Tried(tried, p.build, n, dim) && !(BuildKnobsOf(ResolveBackend(p.build, n, dim)) == current)) return p;
  }
  return std::nullopt;
}

Decision Decide(const TuneMetrics& champion, const std::vector<TunePoint>& trial, double target, double margin) {
  Decision d;
  d.best = Champion(trial, target);
  char line[256];
  if (!d.best) {
    std::snprintf(line, sizeof line, "no setting of the trial met the target %.3f; the served configuration stays", target);
    d.reason = line;
    return d;
  }
  const TuneMetrics& b = d.best->metrics;
  if (champion.quality < target) {
    d.promote = true;
    std::snprintf(line, sizeof line, "the served configuration misses the target (%.3f < %.3f); the trial meets it (%.3f at p50 %.3f ms)",
                  champion.quality, target, b.quality, b.p50_ms);
  } else if (b.p50_ms <= champion.p50_ms * (1 - margin)) {
    d.promote = true;
    std::snprintf(line, sizeof line, "p50 %.3f ms against the served configuration's %.3f ms (%.0f%% faster, margin %.0f%%) at quality %.3f",
                  b.p50_ms, champion.p50_ms, 100 * (1 - b.p50_ms / champion.p50_ms), 100 * margin, b.quality);
  } else {
    std::snprintf(line, sizeof line, "p50 %.3f ms does not beat the served configuration's %.3f ms by %.0f%%; it stays",
                  b.p50_ms, champion.p50_ms, 100 * margin);
  }
  d.reason = line;
  return d;
}

}  // namespace lakehouse::vector::autotune
