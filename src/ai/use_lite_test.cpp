// The in-process USE-Lite against the original TF.js implementation: the
// same token ids and, per sentence, cosine >= 0.9999 with the reference
// vector (src/ai/testdata/use_lite_reference.json, made by tools/use_reference).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "ai/embedder.h"
#include "ai/use_lite.h"
#include "common/files.h"

namespace lakehouse::ai {
namespace {

nlohmann::json Reference() {
  const char* src = std::getenv("LAKEHOUSE_SOURCE_DIR");
  auto text = ReadFile(std::filesystem::path(src ? src : ".") / "src/ai/testdata/use_lite_reference.json");
  EXPECT_TRUE(text.ok()) << text.status().message();
  return nlohmann::json::parse(text.ok() ? *text : "{}");
}

float Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return static_cast<float>(dot / std::sqrt(na * nb));
}

class UseLiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Installed by scripts/setup.sh, as the README's test command runs it: a
    // missing model is a failure, not a skip.
    auto model = UseLiteModel::Load(UseLiteDir());
    ASSERT_TRUE(model.ok()) << model.status().message();
    model_ = *model;
    auto tokenizer = UseLiteTokenizer::Load(UseLiteDir() / "vocab.json");
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
    tokenizer_.emplace(std::move(*tokenizer));
  }
  std::shared_ptr<const UseLiteModel> model_;
  std::optional<UseLiteTokenizer> tokenizer_;
};

TEST_F(UseLiteTest, TokenizesLikeTheReference) {
  auto ref = Reference();
  ASSERT_GE(ref["cases"].size(), 30u);
  for (const auto& c : ref["cases"]) {
    EXPECT_EQ(tokenizer_->Encode(c["text"].get<std::string>()), c["ids"].get<std::vector<int>>())
        << "text: " << c["text"];
  }
}

TEST_F(UseLiteTest, EmbedsLikeTheReference) {
  auto ref = Reference();
  std::vector<std::vector<int>> batch;
  std::vector<std::vector<float>> expected;
  for (const auto& c : ref["cases"]) {
    if (c["embedding"].is_null()) continue;
    auto ids = c["ids"].get<std::vector<int>>();
    if (ids.size() > UseLiteModel::kMaxTokens) ids.resize(UseLiteModel::kMaxTokens);  // as the graph clips
    batch.push_back(ids);
    expected.push_back(c["embedding"].get<std::vector<float>>());
  }
  // All at once, so texts of different lengths share the passes as in use.
  auto got = model_->Encode(batch);
  ASSERT_EQ(got.size(), expected.size());
  float worst = 1;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), 512u);
    float cos = Cosine(got[i], expected[i]);
    worst = std::min(worst, cos);
    EXPECT_GE(cos, 0.9999f) << "case " << i;
  }
  RecordProperty("worst_cosine", std::to_string(worst));
  // One at a time gives the same vectors as the batch.
  auto single = model_->Encode({batch[3]});
  EXPECT_GE(Cosine(single[0], got[3]), 0.99999f);
}

TEST_F(UseLiteTest, TheProviderIsSemanticAndKeepsEveryPartOfALongText) {
  auto made = MakeEmbedder({.provider = "use-lite"});
  ASSERT_TRUE(made.ok()) << made.status().message();
  auto& e = **made;
  EXPECT_EQ(e.dimension(), 512);
  EXPECT_EQ(e.model(), "use-lite");
  std::string long_text;
  for (int i = 0; i < 150; ++i) long_text += "perl hashes ";
  long_text += "and then a tail about python tuples";
  auto v = e.Embed({"How do I sort a hash by value?", "sorting a dictionary by its values",
                    "the weather is sunny today", "", "\xff\xfe broken utf-8 \xc3", long_text});
  ASSERT_TRUE(v.ok()) << v.status().message();
  for (const auto& x : *v) {
    ASSERT_EQ(x.size(), 512u);
    double n = 0;
    for (float f : x) n += double(f) * f;
    EXPECT_NEAR(n, 1.0, 1e-4);
  }
  EXPECT_GT(Cosine((*v)[0], (*v)[1]), Cosine((*v)[0], (*v)[2]) + 0.1f);
  // The tail past the 128-token window moves the vector: it was not cut off.
  auto head = e.Embed({long_text.substr(0, long_text.find(" and then"))});
  ASSERT_TRUE(head.ok());
  EXPECT_LT(Cosine((*v)[5], (*head)[0]), 0.9999f);
}

TEST_F(UseLiteTest, TheCombinedProviderWeighsBothModelsCosines) {
  auto combined = MakeEmbedder({.provider = "use-lite+hash"});
  auto semantic = MakeEmbedder({.provider = "use-lite"});
  auto lexical = MakeEmbedder({.provider = "hash"});
  ASSERT_TRUE(combined.ok() && semantic.ok() && lexical.ok()) << combined.status().message();
  EXPECT_EQ((*combined)->dimension(), 1280);
  EXPECT_EQ((*combined)->model(), "use-lite+hash-768");
  const std::vector<std::string> texts = {"How do I sort a hash by value?", "sorting a dictionary by its values", ""};
  auto c = (*combined)->Embed(texts);
  auto u = (*semantic)->Embed(texts);
  auto h = (*lexical)->Embed(texts);
  ASSERT_TRUE(c.ok() && u.ok() && h.ok());
  auto dot = [](const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0;
    for (size_t i = 0; i < a.size(); ++i) d += static_cast<double>(a[i]) * b[i];
    return d;
  };
  EXPECT_NEAR(dot((*c)[0], (*c)[0]), 1.0, 1e-5);
  EXPECT_NEAR(dot((*c)[0], (*c)[1]), 0.75 * dot((*u)[0], (*u)[1]) + 0.25 * dot((*h)[0], (*h)[1]), 1e-5);
  EXPECT_NEAR(dot((*c)[2], (*c)[2]), 1.0, 1e-5) << "a text with no words is still a unit vector";
  EXPECT_FALSE(MakeEmbedder({.provider = "use-lite+hash", .model = "other"}).ok());
}

TEST(UseLiteProviderTest, NamesTheFixWhenTheModelIsMissing) {
  setenv("LAKEHOUSE_USE_LITE_DIR", "/nonexistent/use-lite", 1);
  auto made = MakeEmbedder({.provider = "use-lite"});
  unsetenv("LAKEHOUSE_USE_LITE_DIR");
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.status().message().find("scripts/setup.sh"), std::string::npos);
  EXPECT_FALSE(MakeEmbedder({.provider = "use-lite", .model = "other"}).ok());
}

}  // namespace
}  // namespace lakehouse::ai
