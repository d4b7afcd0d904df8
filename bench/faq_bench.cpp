// Search quality on the project's labelled retrieval set (../shared/eval/faq:
// 479 Perl and Python FAQ questions -> their answers): the corpus ingested
// as a dataset, one index, every question searched by words, by meaning and
// hybrid; nDCG@10, recall@10 and MRR@10 against the judgements, and latency.
//
//   faq_bench [--eval-dir ../shared/eval/faq] [--provider hash|use-lite] [--backend flat]
//             [--chunk-size 1000] [--stemmer porter|none] [--stop-words english|none] [--dir D]
//             [--combined]   (also a hash index: the two models' cosines combined, as a
//                             concatenated hash+semantic vector would score)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <fstream>
#include <sstream>

#include "app/runtime.h"
#include "fixtures.h"
#include "vector/eval/eval_set.h"
#include "vector/eval/evaluator.h"
#include "vector/eval/metrics.h"
#include "vector_bench_util.h"

namespace fs = std::filesystem;
namespace lh = lakehouse;
using vbench::Summarise;

namespace {

[[noreturn]] void Die(const std::string& what, const lh::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), s.message().c_str());
  std::exit(1);
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) Die("read", lh::NotFound("cannot open " + p.string()));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  const char* source = std::getenv("LAKEHOUSE_SOURCE_DIR");
  fs::path eval_dir = fs::path(source ? source : ".") / "../shared/eval/faq";
  std::string backend = "flat", provider = "hash", dir_arg, stemmer = "porter", stop_words = "english";
  int chunk_size = 1000;
  bool combined = false;
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return !std::strcmp(argv[i], name) && i + 1 < argc; };
    if (arg("--eval-dir")) eval_dir = argv[++i];
    else if (arg("--backend")) backend = argv[++i];
    else if (arg("--provider")) provider = argv[++i];
    else if (arg("--chunk-size")) chunk_size = std::atoi(argv[++i]);
    else if (arg("--dir")) dir_arg = argv[++i];
    else if (!std::strcmp(argv[i], "--combined")) combined = true;
    else if (arg("--stemmer")) stemmer = argv[++i];
    else if (arg("--stop-words")) stop_words = argv[++i];
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  auto set = lh::vector::eval::ParseBeir("faq", Read(eval_dir / "queries.tsv"), Read(eval_dir / "qrels.tsv"));
  if (!set.ok()) Die("eval set", set.status());
  fs::path dir = dir_arg.empty() ? lh::testing::MakeTempDir("faq_bench") : fs::path(dir_arg);
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "faq.csv", std::ios::binary);
    csv << lh::vector::eval::CorpusTsvAsCsv(Read(eval_dir / "corpus.tsv"));
  }

  lh::Config config;
  config.data_dir = dir / "data";
  config.inbox_dir = dir / "inbox";
  config.inbox_enabled = false;
  lh::FinishBuckets(config);
  auto started = lh::app::Runtime::Start(config);
  if (!started.ok()) Die("runtime", started.status());
  auto& rt = **started;
  if (auto s = rt.query().Open(); !s.ok()) Die("query engine", s);
  lh::ingest::IngestRequest ingest;
  ingest.file = dir / "faq.csv";
  ingest.file_name = "faq.csv";
  ingest.dataset = "faq";
  if (auto r = rt.ingestor().Ingest(ingest); !r.ok()) Die("ingest", r.status());

  lh::vector::IndexManifest request;
  request.name = "faq_idx";
  request.dataset = "faq";
  request.id_column = "doc_id";
  request.text_column = "answer";
  request.chunking = {static_cast<size_t>(chunk_size), lh::vector::DefaultOverlap(static_cast<size_t>(chunk_size))};
  request.allow_pii = true;  // FAQ answers quote e-mail addresses; the bench must not depend on the heuristic
  auto kind = lh::vector::ParseBackendKind(backend);
  if (!kind.ok()) Die("backend", kind.status());
  request.backend.kind = *kind;
  request.embedder.provider = provider;
  auto parsed_stemmer = lh::vector::ParseTextStemmer(stemmer);
  auto parsed_stop_words = lh::vector::ParseStopWords(stop_words);
  if (!parsed_stemmer || !parsed_stop_words) Die("flags", lh::InvalidArgument("--stemmer porter|none, --stop-words english|none"));
  request.text = {*parsed_stemmer, *parsed_stop_words};
  if (auto p = rt.indexes().Prepare(request); !p.ok()) Die("prepare", p.status());
  auto build_started = std::chrono::steady_clock::now();
  auto built = rt.indexes().BuildPrepared("faq_idx");
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - build_started).count();
  if (!built.ok()) Die("build", built.status());
  std::printf("faq_bench: %zu queries, %lld documents, %lld chunks (chunk size %d), %s, backend %s\n",
              set->queries.size(), static_cast<long long>(built->active->doc_count),
              static_cast<long long>(built->active->chunk_count), chunk_size, built->embedder.model.c_str(),
              lh::vector::BackendKindName(built->active->backend.kind));
  std::printf("build: %.2f s, %.0f chunks/s (ingest to searchable, embedding included)\n", build_s,
              static_cast<double>(built->active->chunk_count) / build_s);

  std::vector<lh::vector::eval::Judgements> judged;
  for (const auto& q : set->queries) judged.push_back(q.relevant);
  std::printf("\n| mode | nDCG@10 | recall@10 | MRR@10 | p50 ms | p95 ms |\n|---|---|---|---|---|---|\n");
  for (auto mode : {lh::vector::SearchMode::kText, lh::vector::SearchMode::kVector, lh::vector::SearchMode::kHybrid}) {
    std::vector<std::vector<std::string>> ranked;
    std::vector<double> ms;
    for (const auto& q : set->queries) {
      lh::vector::SearchRequest search;
      search.text = q.text;
      search.k = 10;
      search.mode = mode;
      search.include_rows = false;
      auto t0 = std::chrono::steady_clock::now();
      auto r = rt.searcher().Search("faq_idx", search);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!r.ok()) Die("search " + q.id, r.status());
      std::vector<std::string> ids;
      for (const auto& h : r->hits) ids.push_back(h.doc_id);
      ranked.push_back(std::move(ids));
    }
    auto quality = lh::vector::eval::Summarise(ranked, judged);
    auto latency = Summarise(ms);
    std::printf("| %s | %.3f | %.3f | %.3f | %.2f | %.2f |\n", lh::vector::SearchModeName(mode), quality.ndcg_at_10,
                quality.recall_at_10, quality.mrr_at_10, latency.p50, latency.p95);
  }
  // Fusions of the text and vector lists (depth 50 each), computed here
  // from the two lists so that they can be compared before one becomes
  // the hybrid mode: reciprocal rank fusion with weights, and a convex
  // combination of min-max normalised scores.
  std::vector<std::vector<std::pair<std::string, float>>> text_lists, vector_lists;
  for (auto mode : {lh::vector::SearchMode::kText, lh::vector::SearchMode::kVector}) {
    auto& lists = mode == lh::vector::SearchMode::kText ? text_lists : vector_lists;
    for (const auto& q : set->queries) {
      lh::vector::SearchRequest search;
      search.text = q.text;
      search.k = 50;
      search.mode = mode;
      search.include_rows = false;
      auto r = rt.searcher().Search("faq_idx", search);
      if (!r.ok()) Die("search " + q.id, r.status());
      std::vector<std::pair<std::string, float>> list;
      for (const auto& h : r->hits) list.emplace_back(h.doc_id, h.score);
      lists.push_back(std::move(list));
    }
  }
  auto fused = [&](const std::function<std::map<std::string, double>(const std::vector<std::pair<std::string, float>>&,
                                                                     const std::vector<std::pair<std::string, float>>&)>& fuse) {
    std::vector<std::vector<std::string>> ranked;
    for (size_t q = 0; q < set->queries.size(); ++q) {
      auto scores = fuse(text_lists[q], vector_lists[q]);
      std::vector<std::pair<std::string, double>> order(scores.begin(), scores.end());
      std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      std::vector<std::string> ids;
      for (size_t i = 0; i < order.size() && i < 10; ++i) ids.push_back(order[i].first);
      ranked.push_back(std::move(ids));
    }
    return lh::vector::eval::Summarise(ranked, judged).ndcg_at_10;
  };
  std::printf("\n| fusion of text and vector (depth 50) | nDCG@10 |\n|---|---|\n");
  for (double w : {1.0, 0.5, 0.25}) {
    double ndcg = fused([&](const auto& t, const auto& v) {
      std::map<std::string, double> out;
      for (size_t i = 0; i < t.size(); ++i) out[t[i].first] += 1.0 / (60 + i + 1);
      for (size_t i = 0; i < v.size(); ++i) out[v[i].first] += w / (60 + i + 1);
      return out;
    });
    std::printf("| RRF k0 60, vector weight %.2f | %.3f |\n", w, ndcg);
  }
  for (double alpha : {0.5, 0.6, 0.7, 0.8, 0.9}) {
    double ndcg = fused([&](const auto& t, const auto& v) {
      std::map<std::string, double> out;
      auto add = [&](const std::vector<std::pair<std::string, float>>& list, double weight) {
        if (list.empty()) return;
        float hi = list.front().second, lo = list.back().second;
        for (const auto& [doc, score] : list) out[doc] += weight * (hi > lo ? (score - lo) / (hi - lo) : 1.0);
      };
      add(t, alpha);
      add(v, 1 - alpha);
      return out;
    });
    std::printf("| min-max scores, text weight %.1f | %.3f |\n", alpha, ndcg);
  }

  // The harness's own measure of the backend: the vector list against an
  // exact scan of every chunk, for every question.
  {
    lh::vector::eval::EvalOptions options;
    options.mode = lh::vector::SearchMode::kVector;
    options.exact_queries = set->queries.size();
    auto report = lh::vector::eval::Evaluate(rt.searcher(), "faq_idx", *set, options);
    if (!report.ok()) Die("eval", report.status());
    std::printf("\nharness, vector mode on %s: recall@10 against exact %.4f over %zu queries, p50 %.2f ms, "
                "%.0f QPS on one thread\n",
                lh::vector::BackendKindName(built->active->backend.kind), report->recall_vs_exact,
                report->exact_compared, report->p50_ms, report->qps);
  }

  // Tuned weight, held out: the tuner fits the weight on one half of the
  // questions and the hybrid is scored on the other half, both ways.
  {
    lh::vector::eval::EvalSet halves[2];
    for (size_t q = 0; q < set->queries.size(); ++q) halves[q % 2].queries.push_back(set->queries[q]);
    std::printf("\n| tuned on | chosen text weight | nDCG@10 on the other half | default 0.7 there |\n|---|---|---|---|\n");
    double tuned_sum = 0, default_sum = 0;
    for (int h = 0; h < 2; ++h) {
      auto sweep = lh::vector::eval::TuneTextWeight(rt.searcher(), "faq_idx", halves[h], {});
      if (!sweep.ok()) Die("tune", sweep.status());
      double scores[2];
      for (int pass = 0; pass < 2; ++pass) {
        lh::vector::eval::EvalOptions options;
        options.text_weight = pass == 0 ? sweep->chosen : lh::vector::kDefaultTextWeight;
        options.exact_queries = 0;
        auto report = lh::vector::eval::Evaluate(rt.searcher(), "faq_idx", halves[1 - h], options);
        if (!report.ok()) Die("eval", report.status());
        scores[pass] = report->quality.ndcg_at_10;
      }
      tuned_sum += scores[0];
      default_sum += scores[1];
      std::printf("| %s half | %.2f | %.3f | %.3f |\n", h == 0 ? "even" : "odd", sweep->chosen, scores[0], scores[1]);
    }
    std::printf("| mean | | %.3f | %.3f |\n", tuned_sum / 2, default_sum / 2);
  }

  std::printf("\nreference (../shared/eval/README.md, nDCG@10): BM25 0.594, feature hashing 768-d 0.420, "
              "BM25 + USE-lite by RRF 0.572\n");
  // A combined provider, measured before being built: concatenating unit
  // vectors scaled by sqrt(a) and sqrt(1 - a) scores a x cos_hash +
  // (1 - a) x cos_semantic, so each document's two cosines (its best chunk
  // under each model: a close approximation of the best combined chunk)
  // rank what such a provider would.
  if (combined) {
    request.name = "faq_hash";
    request.embedder = {};
    request.embedder.provider = "hash";
    if (auto p = rt.indexes().Prepare(request); !p.ok()) Die("prepare", p.status());
    if (auto b = rt.indexes().BuildPrepared("faq_hash"); !b.ok()) Die("build", b.status());
    const size_t all = std::min<size_t>(1000, static_cast<size_t>(built->active->doc_count));
    std::vector<std::map<std::string, float>> semantic, lexical;
    for (const auto& q : set->queries) {
      for (auto* target : {&semantic, &lexical}) {
        lh::vector::SearchRequest search;
        search.text = q.text;
        search.k = all;
        search.include_rows = false;
        auto r = rt.searcher().Search(target == &semantic ? "faq_idx" : "faq_hash", search);
        if (!r.ok()) Die("search " + q.id, r.status());
        target->emplace_back();
        for (const auto& h : r->hits) target->back()[h.doc_id] = h.score;
      }
    }
    std::printf("\n| combined hash weight | vector nDCG@10 | hybrid (text weight 0.7) nDCG@10 |\n|---|---|---|\n");
    for (double a : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      std::vector<std::vector<std::string>> vector_ranked, hybrid_ranked;
      for (size_t q = 0; q < set->queries.size(); ++q) {
        std::vector<std::pair<std::string, float>> scored;
        for (const auto& [doc, s] : semantic[q]) {
          auto l = lexical[q].find(doc);
          scored.emplace_back(doc, static_cast<float>(a * (l == lexical[q].end() ? 0 : l->second) + (1 - a) * s));
        }
        std::sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
        scored.resize(std::min<size_t>(scored.size(), 50));  // the depth hybrid fuses
        vector_ranked.emplace_back();
        for (size_t i = 0; i < scored.size() && i < 10; ++i) vector_ranked.back().push_back(scored[i].first);
        hybrid_ranked.emplace_back();
        for (const auto& [doc, s] : lh::vector::FuseScores(text_lists[q], scored, lh::vector::kDefaultTextWeight)) {
          if (hybrid_ranked.back().size() >= 10) break;
          hybrid_ranked.back().push_back(doc);
        }
      }
      std::printf("| %.2f | %.3f | %.3f |\n", a, lh::vector::eval::Summarise(vector_ranked, judged).ndcg_at_10,
                  lh::vector::eval::Summarise(hybrid_ranked, judged).ndcg_at_10);
    }
  }
  if (dir_arg.empty()) fs::remove_all(dir);
  return 0;
}
