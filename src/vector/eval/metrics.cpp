#include "vector/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lakehouse::vector::eval {

namespace {

int GradeOf(const Judgements& relevant, const std::string& doc) {
  auto it = relevant.find(doc);
  return it == relevant.end() ? 0 : std::max(it->second, 0);
}

size_t RelevantCount(const Judgements& relevant) {
  size_t n = 0;
  for (const auto& [doc, grade] : relevant) n += grade > 0;
  return n;
}

}  // namespace

double NdcgAt(const std::vector<std::string>& ranked, const Judgements& relevant, size_t k) {
  std::vector<int> ideal;
  for (const auto& [doc, grade] : relevant) {
    if (grade > 0) ideal.push_back(grade);
  }
  if (ideal.empty() || k == 0) return 0;
  std::sort(ideal.rbegin(), ideal.rend());
  double dcg = 0, best = 0;
  std::set<std::string> seen;  // a document counts once, where it first appears
  for (size_t i = 0, rank = 0; i < ranked.size() && rank < k; ++i) {
    if (!seen.insert(ranked[i]).second) continue;
    dcg += GradeOf(relevant, ranked[i]) / std::log2(static_cast<double>(rank) + 2);
    ++rank;
  }
  for (size_t i = 0; i < ideal.size() && i < k; ++i) best += ideal[i] / std::log2(static_cast<double>(i) + 2);
  return dcg / best;
}

double RecallAt(const std::vector<std::string>& ranked, const Judgements& relevant, size_t k) {
  size_t total = RelevantCount(relevant);
  if (total == 0) return 0;
  std::set<std::string> found;
  for (size_t i = 0; i < ranked.size() && i < k; ++i) {
    if (GradeOf(relevant, ranked[i]) > 0) found.insert(ranked[i]);
  }
  return static_cast<double>(found.size()) / static_cast<double>(total);
}

double ReciprocalRankAt(const std::vector<std::string>& ranked, const Judgements& relevant, size_t k) {
  for (size_t i = 0; i < ranked.size() && i < k; ++i) {
    if (GradeOf(relevant, ranked[i]) > 0) return 1.0 / static_cast<double>(i + 1);
  }
  return 0;
}

double OverlapAt(const std::vector<std::string>& approximate, const std::vector<std::string>& exact, size_t k) {
  size_t want = std::min(k, exact.size());
  if (want == 0) return 1;
  std::set<std::string> truth(exact.begin(), exact.begin() + static_cast<std::ptrdiff_t>(want));
  std::set<std::string> found;
  for (size_t i = 0; i < approximate.size() && i < k; ++i) {
    if (truth.count(approximate[i])) found.insert(approximate[i]);
  }
  return static_cast<double>(found.size()) / static_cast<double>(want);
}

QualitySummary Summarise(const std::vector<std::vector<std::string>>& ranked,
                         const std::vector<Judgements>& relevant) {
  QualitySummary s;
  for (size_t q = 0; q < ranked.size() && q < relevant.size(); ++q) {
    if (RelevantCount(relevant[q]) == 0) continue;  // unjudged queries do not count
    ++s.queries;
    s.ndcg_at_10 += NdcgAt(ranked[q], relevant[q], 10);
    s.recall_at_10 += RecallAt(ranked[q], relevant[q], 10);
    s.mrr_at_10 += ReciprocalRankAt(ranked[q], relevant[q], 10);
  }
  if (s.queries > 0) {
    s.ndcg_at_10 /= static_cast<double>(s.queries);
    s.recall_at_10 /= static_cast<double>(s.queries);
    s.mrr_at_10 /= static_cast<double>(s.queries);
  }
  return s;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace lakehouse::vector::eval
