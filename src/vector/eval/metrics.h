// Retrieval quality measures, as trec_eval and BEIR compute them: graded
// relevance judgements (doc id -> grade, 0 or absent: not relevant) against
// a ranked list of doc ids, cut at k.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace lakehouse::vector::eval {

using Judgements = std::map<std::string, int>;  // doc id -> grade (> 0: relevant)

// Normalised discounted cumulative gain at k: sum of grade / log2(rank + 1)
// over the first k, divided by the same for the ideal order (gain linear in
// the grade, as trec_eval's ndcg_cut). 0 when nothing is relevant.
double NdcgAt(const std::vector<std::string>& ranked, const Judgements& relevant, size_t k);
// Share of the relevant documents found in the first k.
double RecallAt(const std::vector<std::string>& ranked, const Judgements& relevant, size_t k);
// 1 / rank of the first relevant document within k, else 0.
double ReciprocalRankAt(const std::vector<std::string>& ranked, const Judgements& relevant, size_t k);
// Share of the exact top k (ground truth from the stored vectors) that the
// approximate top k holds.
double OverlapAt(const std::vector<std::string>& approximate, const std::vector<std::string>& exact, size_t k);

// Means over queries (each query weighs the same).
struct QualitySummary {
  size_t queries = 0;
  double ndcg_at_10 = 0, recall_at_10 = 0, mrr_at_10 = 0;
};
QualitySummary Summarise(const std::vector<std::vector<std::string>>& ranked,
                         const std::vector<Judgements>& relevant);

// The p-th quantile (0..1) of `v`, nearest rank; 0 when empty.
double Percentile(std::vector<double> v, double p);

}  // namespace lakehouse::vector::eval
