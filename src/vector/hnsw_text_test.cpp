// The two search structures on their own: the HNSW graph (against exact
// scores) and the FTS5 index (bm25 ranking, removal, safe query text).
#include <gtest/gtest.h>

#include <random>

#include "fixtures.h"
#include "vector/backends/hnsw_graph.h"
#include "vector/random_rows.h"
#include "vector/searcher.h"
#include "vector/text_index.h"

namespace lakehouse::vector {
namespace {


TEST(HnswGraphTest, FindsTheExactNeighboursAndSurvivesSaveAndLoad) {
  const int dim = 32;
  const size_t n = 2000;
  auto data = RandomUnitRows(n, dim, 7);
  std::vector<int64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = 1000 + static_cast<int64_t>(i);
  auto graph = HnswGraph::Create(dim, n, {16, 100, 64});
  ASSERT_TRUE(graph.ok());
  ASSERT_TRUE((*graph)->Add(data.data(), labels, 2).ok());
  EXPECT_EQ((*graph)->size(), n);

  // A stored vector's nearest neighbour is itself, with cosine 1.
  auto hits = (*graph)->Search(data.data() + 5 * dim, 10, 64);
  ASSERT_EQ(hits.size(), 10u);
  EXPECT_EQ(hits[0].label, 1005);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-4);
  for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);

  // Exact over a label subset ranks by the true inner product.
  auto exact = (*graph)->Exact(data.data() + 5 * dim, std::vector<int64_t>{1001, 1005, 1009, 99999}, 2);
  ASSERT_EQ(exact.size(), 2u);
  EXPECT_EQ(exact[0].label, 1005);

  auto dir = testing::MakeTempDir("hnsw");
  ASSERT_TRUE((*graph)->Save(dir / "g.bin").ok());
  auto loaded = HnswGraph::Load(dir / "g.bin", dim, 10);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->Search(data.data() + 5 * dim, 1, 64)[0].label, 1005);
  ASSERT_TRUE((*loaded)->MarkDeleted(1005).ok());
  EXPECT_NE((*loaded)->Search(data.data() + 5 * dim, 1, 64)[0].label, 1005);
  EXPECT_EQ((*loaded)->deleted(), 1u);
  EXPECT_EQ((*loaded)->MarkDeleted(424242).code(), StatusCode::kNotFound);
  // Growing past the reserved capacity works.
  auto more = RandomUnitRows(50, dim, 8);
  std::vector<int64_t> more_labels(50);
  for (size_t i = 0; i < 50; ++i) more_labels[i] = 5000 + static_cast<int64_t>(i);
  ASSERT_TRUE((*loaded)->Add(more.data(), more_labels, 1).ok());
  EXPECT_EQ((*loaded)->Search(more.data(), 1, 64)[0].label, 5000);

  EXPECT_FALSE(HnswGraph::Load(dir / "missing.bin", dim).ok());
  EXPECT_FALSE(HnswGraph::Load(dir / "g.bin", dim * 2).ok());
  std::filesystem::remove_all(dir);
}

TEST(TextIndexTest, RanksByBm25RemovesAndKeepsUserTextOutOfFtsSyntax) {
  auto dir = testing::MakeTempDir("fts");
  auto index = TextIndex::Create(dir / "t.sqlite", TextStemmer::kNone);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE((*index)->Add({1, 2, 3}, {"the invoice was paid late", "invoice invoice overdue invoice",
                                         "a note about the weather"}).ok());
  ASSERT_TRUE((*index)->Remove({3}).ok());
  ASSERT_TRUE((*index)->Finish().ok());
  auto reader = TextIndex::Open(dir / "t.sqlite", false);
  ASSERT_TRUE(reader.ok());
  auto hits = (*reader)->Search("invoice", 10, StopWords::kNone);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].label, 2);  // more occurrences, shorter: higher bm25
  EXPECT_TRUE((*reader)->Search("weather", 10, StopWords::kNone)->empty());
  // FTS5 operators and quotes in user text are just words.
  auto odd = (*reader)->Search("\"invoice\" OR NEAR( paid* -- ' ;", 10, StopWords::kNone);
  ASSERT_TRUE(odd.ok()) << odd.status().message();
  EXPECT_FALSE(odd->empty());
  EXPECT_TRUE((*reader)->Search("  ;;; ", 10, StopWords::kNone)->empty());
  EXPECT_EQ(FtsQuery("a \"b\" c*", StopWords::kNone), "\"a\" OR \"b\" OR \"c\"");
  EXPECT_EQ(TextIndex::Create(dir / "t.sqlite", TextStemmer::kNone).status().code(), StatusCode::kConflict);
  std::filesystem::remove_all(dir);
}

TEST(TextIndexTest, PorterMatchesStemsAndStopWordsDoNotRankQuestions) {
  auto dir = testing::MakeTempDir("fts_porter");
  auto porter = TextIndex::Create(dir / "p.sqlite", TextStemmer::kPorter);
  auto plain = TextIndex::Create(dir / "n.sqlite", TextStemmer::kNone);
  ASSERT_TRUE(porter.ok() && plain.ok());
  const std::vector<std::string> texts = {"splitting a string on commas", "how do I do it, and how do I do that",
                                          "The Who played live"};
  for (auto* index : {&*porter, &*plain}) {
    ASSERT_TRUE((*index)->Add({1, 2, 3}, texts).ok());
    ASSERT_TRUE((*index)->Finish().ok());
  }
  auto stemmed = TextIndex::Open(dir / "p.sqlite", false);
  auto literal = TextIndex::Open(dir / "n.sqlite", false);
  ASSERT_TRUE(stemmed.ok() && literal.ok());
  auto found = (*stemmed)->Search("split", 10, StopWords::kNone);
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].label, 1);
  EXPECT_TRUE((*literal)->Search("split", 10, StopWords::kNone)->empty());

  // Without stop words the chunk full of "how do I" wins a question it does
  // not answer; with them only "split" counts.
  auto asked = (*stemmed)->Search("How do I split a string?", 10, StopWords::kNone);
  ASSERT_TRUE(asked.ok() && !asked->empty());
  EXPECT_EQ((*asked)[0].label, 2);
  asked = (*stemmed)->Search("How do I split a string?", 10, StopWords::kEnglish);
  ASSERT_TRUE(asked.ok() && !asked->empty());
  EXPECT_EQ((*asked)[0].label, 1);
  EXPECT_EQ(asked->size(), 1u);
  // A query of stop words only is still a query.
  auto who = (*stemmed)->Search("the who", 10, StopWords::kEnglish);
  ASSERT_TRUE(who.ok() && !who->empty());
  EXPECT_EQ((*who)[0].label, 3);
  EXPECT_EQ(FtsQuery("How DOES it split?", StopWords::kEnglish), "\"split\"");
  EXPECT_EQ(FtsQuery("why not", StopWords::kEnglish), "\"not\"");
  EXPECT_EQ(FtsQuery("Copy copy COPY files", StopWords::kNone), "\"Copy\" OR \"files\"");
  std::string many;
  for (int i = 0; i < 200; ++i) many += "w" + std::to_string(i) + " ";
  auto capped = FtsQuery(many, StopWords::kNone);
  EXPECT_EQ(std::count(capped.begin(), capped.end(), '"'), static_cast<long>(2 * kMaxQueryTerms));
  std::filesystem::remove_all(dir);
}

TEST(FuseScoresTest, WeighsNormalisedScoresAndNeverNeedsBothLists) {
  // Text: a best (1), b half (0.5), c worst (0); vector: b best, d worst.
  std::vector<std::pair<std::string, float>> text{{"a", -1.0f}, {"b", -2.0f}, {"c", -3.0f}};
  std::vector<std::pair<std::string, float>> vec{{"b", 0.9f}, {"d", 0.1f}};
  auto fused = FuseScores(text, vec, 0.7);
  ASSERT_EQ(fused.size(), 4u);
  EXPECT_EQ(fused[0].first, "a");  // 0.7 x 1
  EXPECT_NEAR(fused[0].second, 0.7, 1e-6);
  EXPECT_EQ(fused[1].first, "b");  // 0.7 x 0.5 + 0.3 x 1
  EXPECT_NEAR(fused[1].second, 0.65, 1e-6);
  EXPECT_EQ(fused[2].first, "c") << "c (text 0) and d (vector 0) both score 0; c came first";
  auto text_only = FuseScores(text, {}, 0.7);
  EXPECT_EQ(text_only[0].first, "a");
  auto single = FuseScores({{"z", 5.0f}}, {}, 1.0);
  EXPECT_NEAR(single[0].second, 1.0, 1e-6) << "a list of one gives it 1";
  EXPECT_EQ(FuseScores(text, vec, 0.0)[0].first, "b") << "weight 0: the vector order";
}

}  // namespace
}  // namespace lakehouse::vector
