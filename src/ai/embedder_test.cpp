#include <gtest/gtest.h>

#include <cmath>

#include "ai/embedder.h"
#include "ai/embedder_pool.h"

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
  EXPECT_NE(bad.status().message().find("available: use-lite+hash, use-lite, hash"), std::string::npos);
  EXPECT_FALSE(MakeEmbedder({"hash", "hash-x", 0}).ok());
  EXPECT_FALSE(MakeEmbedder({"hash", "", 2}).ok());
}

}  // namespace lakehouse::ai

namespace lakehouse::ai {
namespace {

TEST(EmbedderPoolTest, TheKeyGoesOnlyToItsEndpointAndQueriesShareOneEmbedderPerModel) {
  EmbedderPool pool({"http://ollama.local:11434", "https://api.example.org/", "sk-canary"});
  EmbedderSpec openai;
  openai.provider = "openai";
  EXPECT_EQ(pool.Complete(openai).api_key, "sk-canary");
  EXPECT_EQ(pool.Complete(openai).url, "https://api.example.org/");
  openai.url = "https://api.example.org";  // the same endpoint, spelled without the slash
  EXPECT_EQ(pool.Complete(openai).api_key, "sk-canary");
  openai.url = "https://elsewhere.example.org";
  openai.api_key = "sk-from-request";
  EXPECT_TRUE(pool.Complete(openai).api_key.empty()) << "neither key goes to a URL a request names";
  EmbedderSpec ollama;
  ollama.provider = "ollama";
  EXPECT_EQ(pool.Complete(ollama).url, "http://ollama.local:11434");

  EmbedderSpec hash;
  hash.provider = "hash";
  auto a = pool.ForQueries(hash);
  auto b = pool.ForQueries(hash);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  hash.dimension = 64;
  hash.model = "hash-64";
  auto c = pool.ForQueries(hash);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->get(), c->get());
  EXPECT_EQ((*c)->dimension(), 64);
  auto probed = pool.Probe(hash);
  ASSERT_TRUE(probed.ok());
  EXPECT_EQ(probed->model, "hash-64");
}

}  // namespace
}  // namespace lakehouse::ai
