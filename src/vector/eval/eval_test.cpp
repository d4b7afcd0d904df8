// The quality measures against hand-computed values, and BEIR parsing of
// well-formed and broken files (the real FAQ set included).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vector/eval/eval_set.h"
#include "vector/eval/metrics.h"

namespace lakehouse::vector::eval {

// The project's labelled set (../shared/eval/faq), where the source tree has it.
std::filesystem::path FaqDir() {
  const char* source = std::getenv("LAKEHOUSE_SOURCE_DIR");
  return std::filesystem::path(source ? source : ".") / "../shared/eval/faq";
}

std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace {

TEST(MetricsTest, MatchHandComputedValues) {
  Judgements one{{"d3", 1}};
  std::vector<std::string> ranked{"d1", "d2", "d3", "d4"};
  EXPECT_DOUBLE_EQ(NdcgAt(ranked, one, 10), 1 / std::log2(4.0));  // found at rank 3
  EXPECT_DOUBLE_EQ(ReciprocalRankAt(ranked, one, 10), 1.0 / 3);
  EXPECT_DOUBLE_EQ(RecallAt(ranked, one, 10), 1.0);
  EXPECT_DOUBLE_EQ(RecallAt(ranked, one, 2), 0.0);
  EXPECT_DOUBLE_EQ(NdcgAt(ranked, one, 2), 0.0);
  // Graded: the ideal order puts grade 2 first.
  Judgements graded{{"a", 2}, {"b", 1}, {"z", 0}};
  double ideal = 2 / std::log2(2.0) + 1 / std::log2(3.0);
  EXPECT_DOUBLE_EQ(NdcgAt({"b", "a"}, graded, 10), (1 / std::log2(2.0) + 2 / std::log2(3.0)) / ideal);
  EXPECT_DOUBLE_EQ(NdcgAt({"a", "b"}, graded, 10), 1.0);
  EXPECT_DOUBLE_EQ(RecallAt({"a", "z"}, graded, 10), 0.5) << "grade 0 is not relevant";
  EXPECT_DOUBLE_EQ(NdcgAt({"x"}, {}, 10), 0.0);
  EXPECT_DOUBLE_EQ(OverlapAt({"a", "b", "c"}, {"c", "a", "q"}, 3), 2.0 / 3);
  auto s = Summarise({{"d3"}, {"a", "x"}, {"y"}}, {one, {{"x", 1}}, {}});
  EXPECT_EQ(s.queries, 2u) << "an unjudged query does not count";
  EXPECT_DOUBLE_EQ(s.mrr_at_10, 0.75);
}

TEST(EvalSetTest, ParsesBeirTsvAndJsonLinesAndRefusesBrokenFiles) {
  auto tsv = ParseBeir("s", "q1\tWhat is Perl?\r\nq2\tHow\tdo I\n\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\t0\td7\t2\n");
  ASSERT_TRUE(tsv.ok()) << tsv.status().message();
  ASSERT_EQ(tsv->queries.size(), 2u);
  EXPECT_EQ(tsv->queries[0].text, "What is Perl?");
  EXPECT_EQ(tsv->queries[1].text, "How\tdo I");
  EXPECT_EQ(tsv->queries[1].relevant.at("d7"), 2) << "TREC's four columns";
  EXPECT_TRUE(tsv->Labelled());
  auto json = ParseBeir("s", "{\"_id\": \"q1\", \"text\": \"hi\"}\n{\"_id\": 7, \"text\": \"x\"}\n",
                        "{\"query-id\": \"q1\", \"corpus-id\": 3, \"score\": 1}\n");
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ(json->queries[1].id, "7");
  EXPECT_EQ(json->queries[0].relevant.at("3"), 1);
  EXPECT_FALSE(ParseBeir("s", "q1\tx\n", "").value().Labelled());

  struct Bad {
    const char* queries;
    const char* qrels;
    const char* says;
  } bad[] = {{"", "", "no queries"},
             {"q1\n", "", "queries line 1"},
             {"q1\tx\nq1\ty\n", "", "appears twice"},
             {"q1\t  \n", "", "has no text"},
             {"q1\tx\n", "q2\td1\t1\n", "no query 'q2'"},
             {"q1\tx\n", "q1\td1\thigh\n", "not an integer"},
             {"q1\tx\n", "q1\td1\n", "qrels line 1"},
             {"q1\tx\n", "q1\td1\t-1\n", "0 to 100"},
             {"{\"_id\": \"q1\"", "", "not a JSON object"},
             {"q1\tx\n", "{\"query-id\": \"q1\", \"corpus-id\": \"d\", \"score\": \"1\"}", "integer grade"}};
  for (const auto& b : bad) {
    auto r = ParseBeir("s", b.queries, b.qrels);
    ASSERT_FALSE(r.ok()) << b.says;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(b.says), std::string::npos) << r.status().message();
  }
}

TEST(EvalSetTest, ReadsTheFaqSet) {
  std::filesystem::path dir = FaqDir();
  if (!std::filesystem::exists(dir / "queries.tsv")) GTEST_SKIP() << "no ../shared/eval/faq here";
  auto set = ParseBeir("faq", ReadText(dir / "queries.tsv"), ReadText(dir / "qrels.tsv"));
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->queries.size(), 479u);
  for (const auto& q : set->queries) EXPECT_EQ(q.relevant.size(), 1u) << q.id;
}

}  // namespace
}  // namespace lakehouse::vector::eval

#include "vector/eval/evaluator.h"
#include "vector/index_fixture.h"

namespace lakehouse::vector {
namespace {

// A labelled set in BEIR's layout through the real ingest, index (the
// default embedder and text settings, an exact backend) and searcher:
// nDCG@10 per mode.
class LabelledSetTest : public IndexTest {
 protected:
  std::map<SearchMode, double> ScoreModes(const std::filesystem::path& dir) {
    std::map<SearchMode, double> ndcg;
    auto parsed = eval::ParseBeir("set", eval::ReadText(dir / "queries.tsv"), eval::ReadText(dir / "qrels.tsv"));
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) return ndcg;
    set_ = *parsed;
    IngestCsv("labelled", eval::CorpusTsvAsCsv(eval::ReadText(dir / "corpus.tsv")));
    IndexManifest request;
    request.name = "labelled_idx";
    request.dataset = "labelled";
    request.id_column = "doc_id";
    request.text_column = "answer";
    request.allow_pii = true;
    // Exact, so that the modes' lists are the ones the tuner fuses (auto
    // would pick hnsw for 737 vectors of 1,280 floats; its recall is
    // measured by faq_bench).
    request.backend.kind = BackendKind::kFlat;
    EXPECT_TRUE(registry_->Prepare(request).ok());
    EXPECT_TRUE(registry_->BuildPrepared("labelled_idx").ok());
    std::vector<eval::Judgements> judged;
    for (const auto& q : set_.queries) judged.push_back(q.relevant);
    for (auto mode : {SearchMode::kText, SearchMode::kVector, SearchMode::kHybrid}) {
      std::vector<std::vector<std::string>> ranked;
      for (const auto& q : set_.queries) {
        SearchRequest search;
        search.text = q.text;
        search.mode = mode;
        search.include_rows = false;
        auto r = searcher_->Search("labelled_idx", search);
        EXPECT_TRUE(r.ok()) << r.status().message();
        ranked.emplace_back();
        if (!r.ok()) continue;
        for (const auto& h : r->hits) ranked.back().push_back(h.doc_id);
      }
      ndcg[mode] = eval::Summarise(ranked, judged).ndcg_at_10;
    }
    return ndcg;
  }
  eval::EvalSet set_;
};

// The project's labelled set: the hybrid mode must rank at least as well as
// each of its lists.
TEST_F(LabelledSetTest, OnTheFaqSetHybridRanksAtLeastAsWellAsTextOrVector) {
  std::filesystem::path eval_dir = eval::FaqDir();
  if (!std::filesystem::exists(eval_dir / "corpus.tsv")) GTEST_SKIP() << "no ../shared/eval/faq here";
  auto ndcg = ScoreModes(eval_dir);
  auto* set = &set_;
  EXPECT_GT(ndcg[SearchMode::kText], 0.5) << "FTS5 bm25 on the FAQ set";
  EXPECT_GE(ndcg[SearchMode::kHybrid], ndcg[SearchMode::kText]);
  EXPECT_GE(ndcg[SearchMode::kHybrid], ndcg[SearchMode::kVector]);
  // The defaults (use-lite+hash, porter stems, English stop words, text
  // weight 0.7) measured 0.699 (docs/benchmarks.md); the models are deterministic.
  EXPECT_GE(ndcg[SearchMode::kHybrid], 0.62);

  // The tuner fuses the same lists the searcher does: at weight 1 it ranks
  // as text mode, at 0 as vector mode, at the default as hybrid.
  eval::EvalOptions options;
  auto sweep = eval::TuneTextWeight(*searcher_, "labelled_idx", *set, options);
  ASSERT_TRUE(sweep.ok()) << sweep.status().message();
  ASSERT_EQ(sweep->ndcg_by_weight.size(), 21u);
  EXPECT_NEAR(sweep->ndcg_by_weight.front().second, ndcg[SearchMode::kVector], 1e-9);
  // Documents of equal bm25 may come in another order from the fusion's sort.
  EXPECT_NEAR(sweep->ndcg_by_weight.back().second, ndcg[SearchMode::kText], 2e-3);
  EXPECT_NEAR(sweep->ndcg_by_weight[14].second, ndcg[SearchMode::kHybrid], 1e-9);  // 0.70
  for (const auto& [w, value] : sweep->ndcg_by_weight) EXPECT_LE(value, sweep->chosen_ndcg) << w;
}

// A second set from other real text (bench/data/manpages: manual page
// summaries against their descriptions), where queries are terse and share
// fewer words with their answers.
TEST_F(LabelledSetTest, OnManualPagesHybridRanksAtLeastAsWellAsTextOrVector) {
  const char* source = std::getenv("LAKEHOUSE_SOURCE_DIR");
  auto ndcg = ScoreModes(std::filesystem::path(source ? source : ".") / "bench/data/manpages");
  EXPECT_GT(ndcg[SearchMode::kText], 0.6);
  EXPECT_GE(ndcg[SearchMode::kHybrid], ndcg[SearchMode::kText]);
  EXPECT_GE(ndcg[SearchMode::kHybrid], ndcg[SearchMode::kVector]);
}

}  // namespace
}  // namespace lakehouse::vector
