// Runs an eval set against an index as it serves: every query through the
// searcher's own stages (so filters, knobs and fusion are what users get),
// scored against the set's judgements, the vector list against exact search
// over the same chunks, and timed on one thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "vector/eval/eval_set.h"
#include "vector/searcher.h"

namespace lakehouse::vector::eval {

struct EvalOptions {
  SearchMode mode = SearchMode::kHybrid;
  size_t k = 10;
  std::optional<double> text_weight;  // hybrid; none: the index's own, else the default
  BackendOptions knobs;  // query knobs of the index's backend
  // Measure this configuration instead of the served one: the served
  // vectors indexed in memory by this backend (vector/candidate.h).
  std::optional<BackendSpec> candidate;
  // Queries whose vector list is compared with an exact scan of every chunk
  // (a scan per query: the first this many).
  size_t exact_queries = 100;
};

struct EvalReport {
  std::string index, set;
  EvalOptions options;
  size_t queries = 0;
  int generation = 0;                // the one measured (a candidate's vectors come from it)
  std::optional<BackendSpec> candidate;  // as built, when one was measured
  double candidate_build_ms = 0;
  double text_weight = kDefaultTextWeight;  // hybrid: the weight used
  QualitySummary quality;          // over the labelled queries (quality.queries of them)
  double recall_vs_exact = -1;     // mean share of the exact top k in the vector top k; -1: text mode
  size_t exact_compared = 0;       // queries it was measured on
  double p50_ms = 0, p95_ms = 0, qps = 0;  // one thread, whole searches without rows
  uint64_t memory_bytes = 0;       // of the served generation's backend
};

// Progress: queries done of total.
using EvalProgress = std::function<void(size_t, size_t)>;
Result<EvalReport> Evaluate(Searcher& searcher, const std::string& index, const EvalSet& set,
                            const EvalOptions& options, const EvalProgress& progress = {});

// The hybrid text weight that ranks the set's labelled queries best: each
// query's text and vector lists retrieved once, fused at every weight from 0
// to 1 in steps of 0.05, scored by nDCG@10. Ties go to the weight nearest
// the default. Needs kMinTuningQueries labelled queries: fewer fit noise.
inline constexpr size_t kMinTuningQueries = 10;
struct WeightSweep {
  std::vector<std::pair<double, double>> ndcg_by_weight;  // (text weight, nDCG@10), ascending weight
  double chosen = kDefaultTextWeight;
  double chosen_ndcg = 0;
};
Result<WeightSweep> TuneTextWeight(Searcher& searcher, const std::string& index, const EvalSet& set,
                                   const EvalOptions& options, const EvalProgress& progress = {});

// What POST .../eval and `lakehouse index eval` do: with `tune`, the weight
// first (stored as the index's), then the run at the weight served; the run
// is added to the index's history.
struct EvalOutcome {
  EvalReport report;
  std::optional<WeightSweep> tuning;
  std::optional<double> previous_text_weight;  // the index's before tuning
};
Result<EvalOutcome> RunAndRecord(Searcher& searcher, IndexRegistry& indexes, const std::string& index,
                                 const EvalSet& set, const EvalOptions& options, bool tune,
                                 const EvalProgress& progress = {});

}  // namespace lakehouse::vector::eval
