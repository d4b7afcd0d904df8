// Issue 14: one-shot autotune against a full grid over the same search
// space, in one run, on N hash-embedded documents (backend_bench's corpus;
// queries are held-out documents of it). Prints each backend's frontier,
// both champions and their p50 re-measured side by side in alternating
// rounds (the ratio the goal is stated in).
//
//   autotune_bench [--docs 100000] [--dim 768] [--threads 2] [--queries 200] [--target 0.95] [--skip-grid]
#include <omp.h>

#include <cstring>
#include <map>

#include "vector/autotune/explore.h"
#include "vector/autotune/scorers.h"
#include "tune_bench_data.h"

namespace lh = lakehouse;
namespace at = lakehouse::vector::autotune;
using namespace vbench;
using lh::vector::BackendKind;

extern "C" void openblas_set_num_threads(int);

namespace {

std::string Settings(const lh::vector::BackendSpec& spec) {
  std::string out;
  for (const auto& [k, v] : spec.options) out += (out.empty() ? "" : " ") + k + "=" + std::to_string(v);
  return out.empty() ? "-" : out;
}

void PrintFrontier(const char* title, const std::vector<lh::vector::TunePoint>& points) {
  std::printf("\n%s\n| backend | settings | recall@10 | p50 ms | p95 ms | bytes/vector | build s |\n|---|---|---|---|---|---|---|\n",
              title);
  for (const auto& p : points) {
    std::printf("| %s | %s | %.3f | %.3f | %.3f | %.0f | %.1f |\n", lh::vector::BackendKindName(p.spec.kind),
                Settings(p.spec).c_str(), p.metrics.quality, p.metrics.p50_ms, p.metrics.p95_ms,
                p.metrics.bytes_per_vector, p.metrics.build_s);
  }
}

at::ExploreHooks Verbose(const char* who) {
  at::ExploreHooks hooks;
  hooks.finished = [who](const at::BuildTrial& t) {
    double best = 0;
    for (const auto& p : t.points) best = std::max(best, p.metrics.quality);
    std::fprintf(stderr, "[%s] %s %s: built in %.1f s, %zu query settings, best recall %.3f%s\n", who,
                 lh::vector::BackendKindName(t.build.kind), Settings(t.build).c_str(), t.build_s, t.points.size(), best,
                 t.error.ok() ? "" : (" (" + t.error.message() + ")").c_str());
  };
  return hooks;
}

}  // namespace

int main(int argc, char** argv) {
  size_t docs = 100000, queries = 200;
  int dim = 768, threads = 2;
  double target = 0.95;
  bool skip_grid = false;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? argv[++i] : "0"; };
    if (!std::strcmp(argv[i], "--docs")) docs = std::strtoull(next(), nullptr, 10);
    else if (!std::strcmp(argv[i], "--dim")) dim = std::atoi(next());
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(next());
    else if (!std::strcmp(argv[i], "--queries")) queries = std::strtoull(next(), nullptr, 10);
    else if (!std::strcmp(argv[i], "--target")) target = std::atof(next());
    else if (!std::strcmp(argv[i], "--skip-grid")) skip_grid = true;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  omp_set_num_threads(threads);
  openblas_set_num_threads(1);
  std::printf("autotune_bench: %zu docs, dim %d, %d threads, %zu held-out queries, target recall@10 %.2f\n", docs, dim,
              threads, queries, target);
  TuneData data = HeldOutCorpus(docs, queries, dim, threads);
  auto vectors = data.vectors;
  const at::QueryRows& q = data.queries;
  at::RecallScorer scorer(vectors, q, 10, threads);

  at::ExploreOptions options;
  options.target = target;
  options.vectors = docs;
  options.dim = dim;
  auto tuned = at::Explore(scorer, options, Verbose("autotune"));
  if (!tuned.ok()) return 1;
  std::printf("\nautotune: %zu builds of a %zu-build grid (budget %zu), %.0f s, stopped: %s\n", tuned->builds,
              tuned->grid_builds, tuned->max_builds, tuned->seconds, lh::vector::TuneStopName(tuned->stopped));
  PrintFrontier("autotune frontier", tuned->frontier);
  if (!tuned->champion) {
    std::printf("autotune found no champion\n");
    return 1;
  }
  if (skip_grid) return 0;

  options.full_grid = true;
  auto grid = at::Explore(scorer, options, Verbose("grid"));
  if (!grid.ok() || !grid->champion) return 1;
  std::printf("\ngrid: %zu builds, %.0f s\n", grid->builds, grid->seconds);
  std::map<BackendKind, std::vector<lh::vector::TunePoint>> by_backend;
  for (const auto& p : grid->points) by_backend[p.spec.kind].push_back(p);
  for (const auto& [kind, points] : by_backend) {
    PrintFrontier((std::string("grid frontier, ") + lh::vector::BackendKindName(kind)).c_str(), at::ParetoFrontier(points));
  }

  // Both champions rebuilt and timed in alternating rounds: the same
  // machine state for each, so the ratio is fair.
  auto query_knobs = [](const lh::vector::TunePoint& p) {
    return lh::vector::QueryKnobsOf(p.spec.kind, p.spec.options);
  };
  auto a = scorer.Build(lh::vector::BuildKnobsOf(tuned->champion->spec));
  auto b = scorer.Build(lh::vector::BuildKnobsOf(grid->champion->spec));
  if (!a.ok() || !b.ok()) return 1;
  std::vector<double> pa, pb, qa, qb;
  for (int round = 0; round < 7; ++round) {
    auto ma = (*a)->Measure(query_knobs(*tuned->champion));
    auto mb = (*b)->Measure(query_knobs(*grid->champion));
    if (!ma.ok() || !mb.ok()) return 1;
    pa.push_back(ma->p50_ms);
    pb.push_back(mb->p50_ms);
    qa.push_back(ma->quality);
    qb.push_back(mb->quality);
  }
  double a50 = Summarise(pa).p50, b50 = Summarise(pb).p50;
  std::printf("\n| | champion | recall@10 | p50 ms (median of 7 alternating rounds) | builds |\n|---|---|---|---|---|\n");
  std::printf("| autotune | %s %s | %.3f | %.3f | %zu |\n", lh::vector::BackendKindName(tuned->champion->spec.kind),
              Settings(tuned->champion->spec).c_str(), qa[0], a50, tuned->builds);
  std::printf("| full grid | %s %s | %.3f | %.3f | %zu |\n", lh::vector::BackendKindName(grid->champion->spec.kind),
              Settings(grid->champion->spec).c_str(), qb[0], b50, grid->builds);
  std::printf("\nautotune p50 / grid p50: %.3f (goal <= 1.05); builds %zu / %zu = %.0f%% (goal <= 25%%)\n", a50 / b50,
              tuned->builds, grid->builds, 100.0 * static_cast<double>(tuned->builds) / static_cast<double>(grid->builds));
  return 0;
}
