#include <gtest/gtest.h>

#include <cmath>

#include "ai/embedder.h"

namespace lakehouse::ai {

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  return dot;  // both are unit vectors
}

TEST(HashEmbedderTest, DeterministicUnitVectorsOfTheRightSize) {
  auto e = MakeEmbedder({"hash", "", 256});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->model(), "hash-256");
  auto v = (*e)->Embed({"The quick brown fox", "The quick brown fox", ""});
  ASSERT_TRUE(v.ok());
  ASSERT_EQ((*v)[0].size(), 256u);
  EXPECT_EQ((*v)[0], (*v)[1]);
  double norm = Cosine((*v)[0], (*v)[0]);
  EXPECT_NEAR(norm, 1.0, 1e-5);
  for (float x : (*v)[2]) EXPECT_EQ(x, 0.0f);  // empty text: zero vector, not NaN
}

TEST(HashEmbedderTest, SharedWordsAreCloserThanUnrelatedText) {
  auto e = MakeEmbedder({"hash", "hash-768", 0});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto v = (*e)->Embed({"invoice payment overdue for customer", "customer payment is overdue on the invoice",
                        "the cat sat on the warm windowsill"});
  ASSERT_TRUE(v.ok());
  EXPECT_GT(Cosine((*v)[0], (*v)[1]), Cosine((*v)[0], (*v)[2]) + 0.2);
  // Word pieces count too: inflections stay close.
  auto w = (*e)->Embed({"shipping", "shipped", "banana"});
  EXPECT_GT(Cosine((*w)[0], (*w)[1]), Cosine((*w)[0], (*w)[2]));
}

TEST(HashEmbedderTest, UnknownProvidersAndBadModelsAreClear) {
  auto bad = MakeEmbedder({"word2vec", "", 10});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("available: hash"), std::string::npos);
  EXPECT_FALSE(MakeEmbedder({"hash", "hash-x", 0}).ok());
  EXPECT_FALSE(MakeEmbedder({"hash", "", 2}).ok());
}

}  // namespace lakehouse::ai
