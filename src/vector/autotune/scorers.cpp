#include "vector/autotune/scorers.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <unordered_set>

#include "vector/eval/metrics.h"
#include "vector/vector_store.h"

namespace lakehouse::vector::autotune {

namespace {

using Clock = std::chrono::steady_clock;

// Untimed searches before each measurement: the first touch of a freshly
// built backend pays its page faults.
constexpr size_t kWarmupQueries = 10;

void FillBuild(MeasuredBuild& out, const BuiltBackend& built, size_t n) {
  out.spec = built.spec;
  out.build_s = built.build_ms / 1000;
  out.bytes_per_vector = n ? static_cast<double>(built.memory_bytes) / static_cast<double>(n) : 0;
}

class RecallBuild final : public MeasuredBuild {
 public:
  RecallBuild(BuiltBackend built, const QueryRows& queries, const std::vector<std::vector<int64_t>>& exact, size_t k,
              int dim)
      : built_(std::move(built)), queries_(queries), exact_(exact), k_(k), dim_(dim) {}

  Result<TuneMetrics> Measure(const BackendOptions& query_knobs) override {
    const size_t count = queries_.self.size();
    std::vector<double> ms;
    ms.reserve(count);
    double overlap = 0;
    for (size_t pass = 0; pass < 2; ++pass) {
      const size_t upto = pass == 0 ? std::min(kWarmupQueries, count) : count;
      for (size_t q = 0; q < upto; ++q) {
        const int64_t self = queries_.self[q];
        SearchKnobs knobs{k_ + (self >= 0 ? 1 : 0), query_knobs};
        auto t0 = Clock::now();
        auto hits = built_.backend->Search(queries_.rows.data() + q * static_cast<size_t>(dim_), knobs, nullptr);
        double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!hits.ok()) return hits.status();
        if (pass == 0) continue;
        ms.push_back(elapsed);
        std::unordered_set<int64_t> truth(exact_[q].begin(), exact_[q].end());
        size_t found = 0, taken = 0;
        for (const Hit& h : *hits) {
          if (h.label == self) continue;
          if (taken++ == k_) break;
          found += truth.count(h.label);
        }
        overlap += truth.empty() ? 1.0 : static_cast<double>(found) / static_cast<double>(truth.size());
      }
    }
    TuneMetrics m;
    m.quality = count ? overlap / static_cast<double>(count) : 0;
    m.p50_ms = eval::Percentile(ms, 0.5);
    m.p95_ms = eval::Percentile(ms, 0.95);
    return m;
  }

 private:
  BuiltBackend built_;
  const QueryRows& queries_;
  const std::vector<std::vector<int64_t>>& exact_;
  size_t k_;
  int dim_;
};

class LabelledBuild final : public MeasuredBuild {
 public:
  LabelledBuild(Searcher& searcher, IndexRegistry::Serving target, const std::vector<SearchRequest>& requests,
                const std::vector<eval::Judgements>& judged)
      : searcher_(searcher), target_(std::move(target)), requests_(requests), judged_(judged) {}

  Result<TuneMetrics> Measure(const BackendOptions& query_knobs) override {
    std::vector<std::vector<std::string>> ranked;
    std::vector<double> ms;
    for (size_t pass = 0; pass < 2; ++pass) {
      const size_t upto = pass == 0 ? std::min(kWarmupQueries, requests_.size()) : requests_.size();
      for (size_t q = 0; q < upto; ++q) {
        SearchRequest request = requests_[q];
        request.knobs = query_knobs;
        LH_ASSIGN_OR_RETURN(auto found, searcher_.Retrieve(target_, request, nullptr));
        if (pass == 0) continue;
        ms.push_back(found.search_ms);
        ranked.emplace_back();
        for (const auto& doc : found.docs) ranked.back().push_back(doc.doc_id);
      }
    }
    TuneMetrics m;
    m.quality = eval::Summarise(ranked, judged_).ndcg_at_10;
    m.p50_ms = eval::Percentile(ms, 0.5);
    m.p95_ms = eval::Percentile(ms, 0.95);
    return m;
  }

 private:
  Searcher& searcher_;
  IndexRegistry::Serving target_;
  const std::vector<SearchRequest>& requests_;
  const std::vector<eval::Judgements>& judged_;
};

}  // namespace

QueryRows SampleQueries(const VectorRows& vectors, size_t count, uint64_t seed) {
  QueryRows out;
  const size_t n = vectors.labels.size();
  std::vector<size_t> rows(n);
  for (size_t i = 0; i < n; ++i) rows[i] = i;
  std::mt19937_64 rng(seed);
  count = std::min(count, n);
  for (size_t i = 0; i < count; ++i) std::swap(rows[i], rows[i + rng() % (n - i)]);
  const auto dim = static_cast<size_t>(vectors.dim);
  out.rows.reserve(count * dim);
  for (size_t i = 0; i < count; ++i) {
    const float* row = vectors.rows.data() + rows[i] * dim;
    out.rows.insert(out.rows.end(), row, row + dim);
    out.self.push_back(vectors.labels[rows[i]]);
  }
  return out;
}

RecallScorer::RecallScorer(std::shared_ptr<const VectorRows> vectors, QueryRows queries, size_t k, int threads)
    : vectors_(std::move(vectors)), queries_(std::move(queries)), k_(k), threads_(std::max(1, threads)) {
  VectorStore all(vectors_->dim);
  all.Reserve(vectors_->labels.size());
  all.Add(vectors_->rows.data(), vectors_->labels);
  exact_.resize(queries_.self.size());
  const auto dim = static_cast<size_t>(vectors_->dim);
  for (size_t q = 0; q < queries_.self.size(); ++q) {
    const int64_t self = queries_.self[q];
    for (const Hit& h : all.TopK(queries_.rows.data() + q * dim, k_ + (self >= 0 ? 1 : 0), nullptr, threads_)) {
      if (h.label != self && exact_[q].size() < k_) exact_[q].push_back(h.label);
    }
  }
}

Result<std::unique_ptr<MeasuredBuild>> RecallScorer::Build(const BackendSpec& build) {
  LH_ASSIGN_OR_RETURN(auto built, BuildBackend(*vectors_, build, threads_, yield_));
  return Wrap(std::move(built));
}

std::unique_ptr<MeasuredBuild> RecallScorer::Wrap(BuiltBackend built) {
  BuiltBackend copy = built;
  auto out = std::make_unique<RecallBuild>(std::move(built), queries_, exact_, k_, vectors_->dim);
  FillBuild(*out, copy, vectors_->labels.size());
  return out;
}

Result<std::unique_ptr<LabelledScorer>> LabelledScorer::Make(Searcher& searcher, IndexRegistry::Serving served,
                                                             std::shared_ptr<const VectorRows> vectors,
                                                             const eval::EvalSet& set, SearchMode mode, size_t k,
                                                             std::optional<double> text_weight, int threads) {
  if (mode == SearchMode::kText) return InvalidArgument("text searches do not use the vector backend; nothing to tune");
  if (!served.embedder) return Internal("no query embedder was acquired for the eval set's queries");
  std::unique_ptr<LabelledScorer> out(new LabelledScorer(searcher, std::move(served)));
  out->vectors_ = std::move(vectors);
  out->threads_ = std::max(1, threads);
  std::vector<std::string> texts;
  for (const auto& q : set.queries) {
    if (q.relevant.empty()) continue;
    SearchRequest r;
    r.text = q.text;
    r.k = k;
    r.mode = mode;
    r.text_weight = text_weight;
    r.include_rows = false;
    LH_RETURN_IF_ERROR(Searcher::Validate(r).WithContext("query '" + q.id + "'"));
    out->requests_.push_back(std::move(r));
    out->judged_.push_back(q.relevant);
    texts.push_back(q.text);
  }
  if (out->requests_.empty()) return InvalidArgument("eval set '" + set.name + "' has no labelled queries to score nDCG on");
  LH_ASSIGN_OR_RETURN(auto embedded, out->served_.embedder->EmbedQueries(texts));
  if (embedded.size() != texts.size()) return Internal("the embedder returned a different number of vectors");
  for (size_t i = 0; i < texts.size(); ++i) out->requests_[i].vector = std::move(embedded[i]);
  return out;
}

Result<std::unique_ptr<MeasuredBuild>> LabelledScorer::Build(const BackendSpec& build) {
  LH_ASSIGN_OR_RETURN(auto built, BuildBackend(*vectors_, build, threads_, yield_));
  return Wrap(std::move(built));
}

std::unique_ptr<MeasuredBuild> LabelledScorer::Wrap(BuiltBackend built) {
  IndexRegistry::Serving target = served_;
  target.index = WithBackend(*served_.index, built);
  auto out = std::make_unique<LabelledBuild>(searcher_, std::move(target), requests_, judged_);
  FillBuild(*out, built, vectors_->labels.size());
  return out;
}

}  // namespace lakehouse::vector::autotune
