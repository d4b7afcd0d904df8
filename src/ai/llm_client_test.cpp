// Ollama itself cannot run here (no model weights can be fetched), so these
// tests stand up a small HTTP server that speaks its /api/generate protocol.
#include "ai/llm_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace lakehouse::ai {

class FakeOllama {
 public:
  explicit FakeOllama(std::function<void(const httplib::Request&, httplib::Response&)> handler) {
    server_.Post("/api/generate", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeOllama() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(LlmClientTest, SendsPromptAndReturnsTheResponseText) {
  nlohmann::json seen;
  FakeOllama fake([&](const httplib::Request& req, httplib::Response& res) {
    seen = nlohmann::json::parse(req.body);
    res.set_content(nlohmann::json{{"response", "{\"rules\": []}"}, {"done", true}}.dump(), "application/json");
  });
  auto r = GenerateJson({fake.url(), "tiny", 5000}, "hello");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "{\"rules\": []}");
  EXPECT_EQ(seen["model"], "tiny");
  EXPECT_EQ(seen["format"], "json");
  EXPECT_EQ(seen["stream"], false);
}

TEST(LlmClientTest, MissingModelAndDeadServerAreClearErrors) {
  FakeOllama fake([](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"error":"model not found"})", "application/json");
  });
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
