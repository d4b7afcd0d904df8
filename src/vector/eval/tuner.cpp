// Tuning an index's hybrid text weight on its labelled eval set, and the
// eval run that records what it measured with the index.
#include <algorithm>
#include <cmath>

#include "common/clock.h"
#include "vector/eval/evaluator.h"

namespace lakehouse::vector::eval {

namespace {

constexpr int kWeightSteps = 20;  // 0, 0.05, ..., 1

std::vector<std::pair<std::string, float>> Pairs(const Retrieval& r) {
  std::vector<std::pair<std::string, float>> out;
  out.reserve(r.docs.size());
  for (const auto& d : r.docs) out.emplace_back(d.doc_id, d.score);
  return out;
}

EvalRecord RecordOf(const EvalReport& r, bool tuned) {
  EvalRecord record;
  record.at = Now();
  record.set = r.set;
  record.generation = r.generation;
  record.mode = r.options.mode;
  record.k = static_cast<int>(r.options.k);
  if (r.options.mode == SearchMode::kHybrid) record.text_weight = r.text_weight;
  record.tuned = tuned;
  record.candidate = r.candidate;
  record.queries = static_cast<int64_t>(r.queries);
  record.labelled = static_cast<int64_t>(r.quality.queries);
  record.ndcg_at_10 = r.quality.ndcg_at_10;
  record.recall_at_10 = r.quality.recall_at_10;
  record.mrr_at_10 = r.quality.mrr_at_10;
  if (r.exact_compared > 0) record.recall_vs_exact = r.recall_vs_exact;
  record.p50_ms = r.p50_ms;
  record.p95_ms = r.p95_ms;
  record.qps = r.qps;
  return record;
}

}  // namespace

Result<WeightSweep> TuneTextWeight(Searcher& searcher, const std::string& index, const EvalSet& set,
                                   const EvalOptions& options, const EvalProgress& progress) {
  if (options.mode != SearchMode::kHybrid) {
    return InvalidArgument("tuning chooses the hybrid text weight: use mode hybrid");
  }
  if (options.text_weight) return InvalidArgument("tuning chooses text_weight; do not give one as well");
  if (options.candidate) {
    return InvalidArgument("tuning sets the served index's text weight: run it without a candidate");
  }
  std::vector<const EvalQuery*> labelled;
  for (const auto& q : set.queries) {
    if (std::any_of(q.relevant.begin(), q.relevant.end(), [](const auto& j) { return j.second > 0; })) {
      labelled.push_back(&q);
    }
  }
  if (labelled.size() < kMinTuningQueries) {
    return InvalidArgument("tuning the text weight needs at least " + std::to_string(kMinTuningQueries) +
                           " queries with a relevant document; this set has " + std::to_string(labelled.size()) +
                           " (fewer would fit noise)");
  }
  // The two lists a hybrid search of k fuses: each mode at the hybrid depth.
  SearchRequest base;
  base.k = options.k;
  base.knobs = options.knobs;
  base.include_rows = false;
  base.mode = SearchMode::kHybrid;
  base.text = labelled.front()->text;
  LH_RETURN_IF_ERROR(Searcher::Validate(base));
  LH_ASSIGN_OR_RETURN(auto target, searcher.Acquire(index, base));
  base.k = std::max<size_t>(options.k * 4, 50);  // past the limit of a request's k, as hybrid goes
  std::vector<std::vector<std::pair<std::string, float>>> text_lists, vector_lists;
  std::vector<Judgements> judged;
  for (size_t i = 0; i < labelled.size(); ++i) {
    SearchRequest request = base;
    request.text = labelled[i]->text;
    SearchRequest as_asked = request;
    as_asked.k = options.k;
    if (Status s = Searcher::Validate(as_asked); !s.ok()) return s.WithContext("query '" + labelled[i]->id + "'");
    request.mode = SearchMode::kText;
    auto text = searcher.Retrieve(target, request, nullptr);
    if (!text.ok()) return text.status().WithContext("query '" + labelled[i]->id + "'");
    request.mode = SearchMode::kVector;
    auto vector = searcher.Retrieve(target, request, nullptr);
    if (!vector.ok()) return vector.status().WithContext("query '" + labelled[i]->id + "'");
    text_lists.push_back(Pairs(*text));
    vector_lists.push_back(Pairs(*vector));
    judged.push_back(labelled[i]->relevant);
    if (progress) progress(i + 1, labelled.size());
  }
  WeightSweep sweep;
  double best = -1;
  for (int step = 0; step <= kWeightSteps; ++step) {
    const double w = static_cast<double>(step) / kWeightSteps;
    std::vector<std::vector<std::string>> ranked;
    for (size_t q = 0; q < judged.size(); ++q) {
      ranked.emplace_back();
      for (const auto& [doc, score] : FuseScores(text_lists[q], vector_lists[q], w)) {
        if (ranked.back().size() >= options.k) break;
        ranked.back().push_back(doc);
      }
    }
    const double ndcg = Summarise(ranked, judged).ndcg_at_10;
    sweep.ndcg_by_weight.emplace_back(w, ndcg);
    const bool better = ndcg > best + 1e-9;
    const bool tie_nearer = std::abs(ndcg - best) <= 1e-9 &&
                            std::abs(w - kDefaultTextWeight) < std::abs(sweep.chosen - kDefaultTextWeight);
    if (better || tie_nearer) {
      best = std::max(best, ndcg);
      sweep.chosen = w;
      sweep.chosen_ndcg = ndcg;
    }
  }
  const auto [low, high] = std::minmax_element(sweep.ndcg_by_weight.begin(), sweep.ndcg_by_weight.end(),
                                               [](const auto& a, const auto& b) { return a.second < b.second; });
  if (high->second - low->second < 1e-9) {
    return InvalidArgument("every text weight ranks this set the same (nDCG@10 " + std::to_string(high->second) +
                           "): nothing to tune, and the index's weight is left as it was; use queries that "
                           "the index can answer");
  }
  return sweep;
}

Result<EvalOutcome> RunAndRecord(Searcher& searcher, IndexRegistry& indexes, const std::string& index,
                                 const EvalSet& set, const EvalOptions& options, bool tune,
                                 const EvalProgress& progress) {
  EvalOutcome out;
  EvalOptions run = options;
  if (tune) {
    LH_ASSIGN_OR_RETURN(auto before, indexes.Get(index));
    out.previous_text_weight = before.text_weight;
    LH_ASSIGN_OR_RETURN(out.tuning, TuneTextWeight(searcher, index, set, options, progress));
    run.text_weight = out.tuning->chosen;
  }
  LH_ASSIGN_OR_RETURN(out.report, Evaluate(searcher, index, set, run, progress));
  std::optional<double> tuned;
  if (out.tuning) tuned = out.tuning->chosen;
  LH_RETURN_IF_ERROR(indexes.RecordEval(index, RecordOf(out.report, tune), tuned).status());
  return out;
}

}  // namespace lakehouse::vector::eval
