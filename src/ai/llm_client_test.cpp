#include "ai/llm_client.h"

#include "fake_ollama.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace lakehouse::ai {

using testing::FakeOllama;

TEST(LlmClientTest, SendsPromptAndReturnsTheResponseText) {
  FakeOllama fake;
  fake.answer = "{\"rules\": []}";
  auto r = GenerateJson({fake.url(), "tiny", 5000}, "hello");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "{\"rules\": []}");
  ASSERT_EQ(fake.requests.size(), 1u);
  auto seen = nlohmann::json::parse(fake.requests[0]);
  EXPECT_EQ(seen["model"], "tiny");
  EXPECT_EQ(seen["format"], "json");
  EXPECT_EQ(seen["stream"], false);
}

TEST(LlmClientTest, MissingModelAndDeadServerAreClearErrors) {
  FakeOllama fake;
  fake.status = 404;
  auto missing = GenerateJson({fake.url(), "nope", 5000}, "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("ollama pull nope"), std::string::npos);
  auto dead = GenerateJson({"http://127.0.0.1:1", "m", 2000}, "x");
  ASSERT_FALSE(dead.ok());
  EXPECT_NE(dead.status().message().find("ollama serve"), std::string::npos) << dead.status().message();
  EXPECT_EQ(GenerateJson({"", "m", 1000}, "x").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace lakehouse::ai
