// Runs an eval set against an index as it serves: every query through the
// searcher's own stages (so filters, knobs and fusion are what users get),
// scored against the set's judgements, the vector list against exact search
// over the same chunks, and timed on one thread.
#pragma once

#include <functional>
#include <string>

#include "vector/eval/eval_set.h"
#include "vector/searcher.h"

namespace lakehouse::vector::eval {

struct EvalOptions {
  SearchMode mode = SearchMode::kHybrid;
  size_t k = 10;
  double text_weight = kDefaultTextWeight;
  BackendOptions knobs;  // query knobs of the index's backend
  // Queries whose vector list is compared with an exact scan of every chunk
  // (a scan per query: the first this many).
  size_t exact_queries = 100;
};

struct EvalReport {
  std::string index, set;
  EvalOptions options;
  size_t queries = 0;
  QualitySummary quality;          // over the labelled queries (quality.queries of them)
  double recall_vs_exact = -1;     // mean share of the exact top k in the vector top k; -1: text mode
  size_t exact_compared = 0;       // queries it was measured on
  double p50_ms = 0, p95_ms = 0, qps = 0;  // one thread, whole searches without rows
  uint64_t memory_bytes = 0;       // of the served generation's backend
};

// Progress: queries done of total.
Result<EvalReport> Evaluate(Searcher& searcher, const std::string& index, const EvalSet& set,
                            const EvalOptions& options, const std::function<void(size_t, size_t)>& progress = {});

}  // namespace lakehouse::vector::eval
