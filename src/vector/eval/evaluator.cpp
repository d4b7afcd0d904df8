#include "vector/eval/evaluator.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "vector/candidate.h"

namespace lakehouse::vector::eval {

namespace {

using Clock = std::chrono::steady_clock;

// The exact top k documents for `query`: every live chunk scored, best chunk per document.
std::vector<std::string> ExactDocs(const LoadedIndex& index, const std::vector<int64_t>& labels,
                                   const std::vector<float>& query, size_t k) {
  std::vector<std::string> docs;
  std::unordered_set<std::string> seen;
  for (const Hit& h : index.backend->Score(query.data(), labels, labels.size())) {
    const ChunkRow* chunk = index.chunks.Find(h.label);
    if (!chunk || !seen.insert(chunk->doc_id).second) continue;
    docs.push_back(chunk->doc_id);
    if (docs.size() >= k) break;
  }
  return docs;
}

}  // namespace

Result<EvalReport> Evaluate(Searcher& searcher, const std::string& index, const EvalSet& set,
                            const EvalOptions& options, const EvalProgress& progress) {
  if (set.queries.empty()) return InvalidArgument("the eval set has no queries");
  if (options.k < 1 || options.k > 1000) return InvalidArgument("k must be between 1 and 1000");
  EvalReport report;
  report.index = index;
  report.set = set.name;
  report.options = options;
  report.queries = set.queries.size();
  SearchRequest base;
  base.k = options.k;
  base.mode = options.mode;
  base.text_weight = options.text_weight;
  base.knobs = options.knobs;
  base.include_rows = false;
  base.text = set.queries.front().text;
  LH_RETURN_IF_ERROR(Searcher::Validate(base));
  // One generation for the whole run, even if a refresh publishes another.
  // A candidate's knobs are its backend's, checked once it is built.
  SearchRequest acquire = base;
  if (options.candidate) acquire.knobs.clear();
  LH_ASSIGN_OR_RETURN(auto target, searcher.Acquire(index, acquire));
  report.generation = target.index->generation.number;
  if (options.candidate) {
    LH_ASSIGN_OR_RETURN(auto built, BuildCandidate(*target.index, *options.candidate, 2));
    LH_RETURN_IF_ERROR(ValidateSearchKnobs(built.spec.kind, options.knobs));
    target.index = built.index;
    report.candidate = built.spec;
    report.candidate_build_ms = built.build_ms;
  }
  report.text_weight = TextWeightFor(base, target.manifest);
  report.memory_bytes = target.index->backend->MemoryBytes() +
                        (target.index->vectors ? target.index->vectors->MemoryBytes() : 0);
  std::vector<int64_t> all_labels;
  target.index->chunks.ForEach([&](int64_t label, const ChunkRow&) { all_labels.push_back(label); });

  std::vector<std::vector<std::string>> ranked;
  std::vector<Judgements> judged;
  std::vector<double> ms;
  double overlap = 0;
  for (size_t q = 0; q < set.queries.size(); ++q) {
    SearchRequest request = base;
    request.text = set.queries[q].text;
    if (Status s = Searcher::Validate(request); !s.ok()) return s.WithContext("query '" + set.queries[q].id + "'");
    auto t0 = Clock::now();
    auto found = searcher.Retrieve(target, request, nullptr);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!found.ok()) return found.status().WithContext("query '" + set.queries[q].id + "'");
    ranked.emplace_back();
    for (const auto& doc : found->docs) ranked.back().push_back(doc.doc_id);
    judged.push_back(set.queries[q].relevant);
    if (options.mode != SearchMode::kText && q < options.exact_queries && target.embedder) {
      // The vector list alone against the exact scan (for hybrid too: the
      // backend's share of the answer is what approximates). Embedded once
      // for both; in vector mode the list is the one already found.
      auto embedded = target.embedder->EmbedQueries({request.text});
      if (embedded.ok() && !embedded->empty()) {
        Result<Retrieval> approximate = *found;
        if (options.mode != SearchMode::kVector) {
          SearchRequest vector_only = request;
          vector_only.mode = SearchMode::kVector;
          vector_only.vector = embedded->front();
          approximate = searcher.Retrieve(target, vector_only, nullptr);
        }
        if (approximate.ok()) {
          std::vector<std::string> mine;
          for (const auto& doc : approximate->docs) mine.push_back(doc.doc_id);
          overlap += OverlapAt(mine, ExactDocs(*target.index, all_labels, embedded->front(), options.k), options.k);
          ++report.exact_compared;
        }
      }
    }
    if (progress) progress(q + 1, set.queries.size());
  }
  report.quality = Summarise(ranked, judged);
  if (report.exact_compared > 0) report.recall_vs_exact = overlap / static_cast<double>(report.exact_compared);
  report.p50_ms = Percentile(ms, 0.5);
  report.p95_ms = Percentile(ms, 0.95);
  double search_seconds = 0;
  for (double m : ms) search_seconds += m / 1000;
  report.qps = search_seconds > 0 ? static_cast<double>(ms.size()) / search_seconds : 0;
  return report;
}

}  // namespace lakehouse::vector::eval
