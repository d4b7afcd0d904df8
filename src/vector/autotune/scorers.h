// What an autotune measures a candidate with. Both build candidates from
// the served generation's stored vectors (nothing re-embedded) and time
// searches on one thread, embedding excluded: the backend is what differs.
#pragma once

#include <memory>
#include <vector>

#include "vector/autotune/explore.h"
#include "vector/candidate.h"
#include "vector/eval/eval_set.h"
#include "vector/searcher.h"

namespace lakehouse::vector::autotune {

// Queries for a recall scorer: rows (count x dim) and, for each, the label
// it was taken from (dropped from both lists, so a chunk never finds
// itself), or -1.
struct QueryRows {
  std::vector<float> rows;
  std::vector<int64_t> self;
};
// `count` of the vectors themselves, chosen by `seed` (the same seed, the same queries).
QueryRows SampleQueries(const VectorRows& vectors, size_t count, uint64_t seed);

// recall@k of each candidate's top k against an exact scan, computed once.
class RecallScorer final : public TrialScorer {
 public:
  RecallScorer(std::shared_ptr<const VectorRows> vectors, QueryRows queries, size_t k, int threads);
  Result<std::unique_ptr<MeasuredBuild>> Build(const BackendSpec& build) override;
  std::unique_ptr<MeasuredBuild> Wrap(BuiltBackend built) override;
  size_t queries() const { return queries_.self.size(); }

 private:
  std::shared_ptr<const VectorRows> vectors_;
  QueryRows queries_;
  size_t k_;
  int threads_;
  std::vector<std::vector<int64_t>> exact_;  // per query, the true top k labels
};

// nDCG@10 of the searches users make (mode, k, fusion weight) on the
// labelled queries of an eval set, through the searcher's own retrieval.
class LabelledScorer final : public TrialScorer {
 public:
  // Embeds the set's queries once with the served model.
  static Result<std::unique_ptr<LabelledScorer>> Make(Searcher& searcher, IndexRegistry::Serving served,
                                                      std::shared_ptr<const VectorRows> vectors,
                                                      const eval::EvalSet& set, SearchMode mode, size_t k,
                                                      std::optional<double> text_weight, int threads);
  Result<std::unique_ptr<MeasuredBuild>> Build(const BackendSpec& build) override;
  std::unique_ptr<MeasuredBuild> Wrap(BuiltBackend built) override;

 private:
  LabelledScorer(Searcher& searcher, IndexRegistry::Serving served) : searcher_(searcher), served_(std::move(served)) {}
  Searcher& searcher_;
  IndexRegistry::Serving served_;
  std::shared_ptr<const VectorRows> vectors_;
  std::vector<SearchRequest> requests_;
  std::vector<eval::Judgements> judged_;
  int threads_ = 1;
};

}  // namespace lakehouse::vector::autotune
