// Hostile input against the real server: each request must get an answer
// in our words, the server must stay up, and other datasets must stay
// queryable. Each case is an input that once crashed or poisoned it.
#include <fstream>

#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

class HostileE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    ASSERT_EQ(Upload(server_, "good.csv", "id,v\n1,10\n2,20\n").status, 201);
  }
  // The server answers, and a dataset untouched by the attack still reads.
  void ExpectAliveAndGoodQueryable() {
    auto health = Get(server_, "/health");
    ASSERT_EQ(health.status, 200) << server_.log();
    auto sum = Sql(server_, "SELECT sum(v) FROM good");
    ASSERT_EQ(sum.status, 200) << sum.body.dump();
    EXPECT_EQ(sum.body["rows"][0][0], 30);
  }
  ServerProcess server_;
};

TEST_F(HostileE2E, DeeplyNestedJsonIsRefusedAndNothingBreaks) {
  const std::string limit_text = "lakehouse reads JSON nested up to 64 levels ([ingest] max_json_depth)";
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"deep.json", std::string(10000, '[') + std::string(10000, ']')},   // killed the server
           {"deep.ndjson", std::string(10000, '[') + std::string(10000, ']')},
           {"brackets.json", std::string(1000, '[') + std::string(1000, ']')},  // broke every query after it
       }) {
    auto r = Upload(server_, name, bytes);
    EXPECT_EQ(r.status, 400) << name << ": " << r.body.dump();
    EXPECT_NE(ErrorMessage(r).find(limit_text), std::string::npos) << ErrorMessage(r);
    ExpectAliveAndGoodQueryable();
  }
  // 102 bytes nested 50 deep made every query spin past its timeout.
  auto fifty = Upload(server_, "fifty.json", std::string(50, '[') + "1" + std::string(50, ']'));
  ASSERT_EQ(fifty.status, 201) << fifty.body.dump();
  auto count = Sql(server_, "SELECT count(*) FROM fifty");
  ASSERT_EQ(count.status, 200) << count.body.dump();
  EXPECT_EQ(count.body["rows"][0][0], 1);
  ExpectAliveAndGoodQueryable();
  // And again after a restart.
  server_.Stop();
  ASSERT_TRUE(server_.Start()) << server_.log();
  ExpectAliveAndGoodQueryable();
}

TEST_F(HostileE2E, NulInABucketPathIsRefused) {
  std::string path = (server_.data_dir() / "_buckets").string() + "/a" + std::string(1, '\0') + "b";
  auto r = ToReply(server_.http().Post("/storage/buckets", nlohmann::json{{"name", "nul"}, {"path", path}}.dump(),
                                       "application/json"));
  EXPECT_EQ(r.status, 400) << r.body.dump();
  EXPECT_NE(ErrorMessage(r).find("control character"), std::string::npos) << ErrorMessage(r);
  ExpectAliveAndGoodQueryable();
  server_.Stop();
  ASSERT_TRUE(server_.Start()) << server_.log();
  ExpectAliveAndGoodQueryable();
}

TEST_F(HostileE2E, BadStoredCatalogFilesAreSkippedAndReported) {
  server_.Stop();
  fs::path catalog = server_.data_dir() / "_catalog";
  nlohmann::json buckets = nlohmann::json::array(
      {{{"name", "nul"}, {"root", (server_.data_dir() / "_buckets").string() + "/a" + std::string(1, '\0') + "b"}},
       {{"name", "etc"}, {"root", "/etc"}}});
  WriteFile(catalog / "buckets.json", buckets.dump());
  WriteFile(catalog / "datasets" / "broken.json", "{\"name\": ");
  WriteFile(catalog / "datasets" / "typed.json", R"({"name": "typed", "versions": [{"files": [{"key": "../../etc/passwd"}]}]})");
  WriteFile(catalog / "datasets" / "alias.json", R"({"name": "good"})");
  WriteFile(catalog / "indexes" / "idx.json", R"({"name": 5})");
  ASSERT_TRUE(server_.Start()) << server_.log();
  ExpectAliveAndGoodQueryable();
  auto health = Get(server_, "/health");
  EXPECT_EQ(health.body["status"], "degraded");
  std::set<std::string> reported;
  for (const auto& p : health.body["problems"]) reported.insert(p["what"].get<std::string>());
  for (const char* what : {"_catalog/buckets.json entry 0", "_catalog/buckets.json entry 1",
                           "_catalog/datasets/broken.json", "_catalog/datasets/typed.json",
                           "_catalog/datasets/alias.json", "_catalog/indexes/idx.json"}) {
    EXPECT_EQ(reported.count(what), 1u) << what << " in " << health.body.dump();
  }
  auto list = Get(server_, "/catalog/datasets");
  EXPECT_EQ(list.body["count"], 1) << list.body.dump();
  EXPECT_EQ(Sql(server_, "SELECT * FROM typed").status, 400);
}

TEST_F(HostileE2E, AFileSizeLimitFailsTheWriteNotTheServer) {
  server_.Stop();
  server_.SetFileSizeLimit(256 * 1024);
  ASSERT_TRUE(server_.Start()) << server_.log();
  std::string big = "id,payload\n";
  for (int i = 0; big.size() < 1024 * 1024; ++i) big += std::to_string(i) + ",row number " + std::to_string(i * 7919) + "\n";
  auto r = Upload(server_, "big.csv", big);
  EXPECT_EQ(r.status, 507) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "storage_full");
  EXPECT_NE(ErrorMessage(r).find("file size limit"), std::string::npos) << ErrorMessage(r);
  ExpectAliveAndGoodQueryable();
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/big").status, 404);
  ASSERT_EQ(Upload(server_, "small.csv", "a\n1\n").status, 201);
}

}  // namespace lakehouse::testing
