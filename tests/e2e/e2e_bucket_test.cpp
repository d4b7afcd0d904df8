#include <fstream>
#include <thread>

#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

class BucketE2E : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }
  Reply AddBucket(const nlohmann::json& body) {
    return ToReply(server_.http().Post("/storage/buckets", body.dump(), "application/json"));
  }
  Reply Move(const std::string& dataset, const std::string& bucket) {
    return ToReply(server_.http().Patch(("/catalog/datasets/by-name/" + dataset + "/bucket").c_str(),
                                        nlohmann::json{{"bucket", bucket}}.dump(), "application/json"));
  }
  ServerProcess server_;
};

TEST_F(BucketE2E, AddIngestJoinMoveAndRemove) {
  auto added = AddBucket({{"name", "cold"}});
  ASSERT_EQ(added.status, 201) << added.body.dump();
  fs::path cold_root = added.body["root"].get<std::string>();
  EXPECT_TRUE(fs::is_directory(cold_root));
  EXPECT_EQ(AddBucket({{"name", "cold"}}).status, 409);
  for (const char* bad : {"../evil", "a/b", "x y", ""}) EXPECT_EQ(AddBucket({{"name", bad}}).status, 400) << bad;
  EXPECT_EQ(AddBucket({{"name", "inside"}, {"path", (server_.data_dir() / "datasets").string()}}).status, 403);

  ASSERT_EQ(Upload(server_, "people.csv", "id,region\n1,EU\n2,US\n", {}, {{"X-Lakehouse-Bucket", "cold"}}).status, 201);
  ASSERT_EQ(Upload(server_, "regions.csv", "region,label\nEU,Europe\nUS,United States\n").status, 201);
  auto ds = Get(server_, "/catalog/datasets/by-name/people");
  EXPECT_EQ(ds.body["bucket"], "cold");
  EXPECT_TRUE(fs::exists(cold_root / "datasets/people/1-1.parquet"));
  auto join = Sql(server_, "SELECT p.id, r.label FROM people p JOIN regions r USING (region) ORDER BY p.id");
  ASSERT_EQ(join.status, 200) << join.body.dump();
  EXPECT_EQ(join.body["rows"], nlohmann::json::parse(R"([[1, "Europe"], [2, "United States"]])"));

  auto listed = Get(server_, "/storage/buckets");
  bool found = false;
  for (const auto& b : listed.body["buckets"]) {
    if (b["name"] != "cold") continue;
    found = true;
    EXPECT_EQ(b["usage"]["datasets"], nlohmann::json({"people"}));
    EXPECT_GT(b["usage"]["bytes"].get<int64_t>(), 0);
  }
  EXPECT_TRUE(found);

  auto busy = ToReply(server_.http().Delete("/storage/buckets/cold"));
  EXPECT_EQ(busy.status, 409);
  EXPECT_NE(ErrorMessage(busy).find("people"), std::string::npos);
  EXPECT_EQ(ToReply(server_.http().Delete("/storage/buckets/primary")).status, 403);
  EXPECT_EQ(ToReply(server_.http().Delete("/storage/buckets/rescue")).status, 403);
  EXPECT_EQ(ToReply(server_.http().Delete("/storage/buckets/nope")).status, 404);

  auto moved = Move("people", "primary");
  ASSERT_EQ(moved.status, 200) << moved.body.dump();
  EXPECT_EQ(moved.body["bucket"], "primary");
  EXPECT_FALSE(fs::exists(cold_root / "datasets/people/1-1.parquet"));
  EXPECT_TRUE(fs::exists(server_.data_dir() / "datasets/people/1-1.parquet"));
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM people").body["rows"][0][0], 2);
  EXPECT_EQ(Move("people", "ghost").status, 404);
  EXPECT_EQ(ToReply(server_.http().Delete("/storage/buckets/cold")).status, 200);
  EXPECT_EQ(Upload(server_, "x.csv", "a\n1\n", {}, {{"X-Lakehouse-Bucket", "cold"}}).status, 404);
}

TEST(BucketParentsE2E, RuntimeBucketsSurviveRestartAndSqlSeesThem) {
  fs::path parent = MakeTempDir("bucket_parent");
  ServerProcess server("", "runtime_bucket_parents = [\"" + parent.string() + "\"]");
  ASSERT_TRUE(server.Start()) << server.log();
  auto add = [&](const nlohmann::json& body) {
    return ToReply(server.http().Post("/storage/buckets", body.dump(), "application/json"));
  };
  fs::path outside = parent / "archive";
  ASSERT_EQ(add({{"name", "archive"}, {"path", outside.string()}}).status, 201);
  // Not under an allowed parent: refused, so SQL can never be pointed at /etc.
  auto etc = add({{"name", "etc"}, {"path", "/etc"}});
  EXPECT_EQ(etc.status, 403);
  EXPECT_NE(ErrorMessage(etc).find("runtime_bucket_parents"), std::string::npos);
  server.Stop();
  ASSERT_TRUE(server.Start()) << server.log();
  ASSERT_EQ(Upload(server, "old.csv", "y\n2001\n2002\n", {}, {{"X-Lakehouse-Bucket", "archive"}}).status, 201);
  EXPECT_TRUE(fs::exists(outside / "datasets/old/1-1.parquet"));
  auto q = Sql(server, "SELECT sum(y) FROM old");
  ASSERT_EQ(q.status, 200) << q.body.dump();
  EXPECT_EQ(q.body["rows"][0][0], 4003);
  EXPECT_EQ(Sql(server, "SELECT * FROM read_text('/etc/hostname')").status, 403);
  fs::remove_all(parent);
}

TEST_F(BucketE2E, CrashDuringMoveLeavesOneCompleteCopy) {
  auto cold = AddBucket({{"name", "cold"}});
  ASSERT_EQ(cold.status, 201);
  fs::path cold_root = cold.body["root"].get<std::string>();
  auto data_files = [&] {
    int n = 0;
    for (const fs::path& root : {server_.data_dir(), cold_root}) {
      std::error_code ec;
      for (auto& e : fs::recursive_directory_iterator(root / "datasets" / "facts", ec)) n += e.is_regular_file();
    }
    return n;
  };
  ASSERT_EQ(Upload(server_, "facts.csv", "k,v\na,1\nb,2\nc,3\n").status, 201);
  ASSERT_EQ(Upload(server_, "facts.csv", "k,v\nd,4\n").status, 201);  // two files
  for (const char* point : {"move:after_copy", "move:after_swap"}) {
    server_.Stop();
    server_.SetEnv("LAKEHOUSE_CRASH_AT", point);
    ASSERT_TRUE(server_.Start()) << server_.log();
    std::string target = Get(server_, "/catalog/datasets/by-name/facts").body["bucket"] == "cold" ? "primary" : "cold";
    Move("facts", target);  // the server dies (kill -9) mid-move
    ASSERT_TRUE(server_.WaitForExit(10000)) << point;
    server_.ClearEnv();
    ASSERT_TRUE(server_.Start()) << server_.log();
    auto q = Sql(server_, "SELECT count(*), sum(v) FROM facts");
    ASSERT_EQ(q.status, 200) << point << ": " << q.body.dump();
    EXPECT_EQ(q.body["rows"][0], nlohmann::json::parse("[4, 10]")) << point;
    std::string now_in = Get(server_, "/catalog/datasets/by-name/facts").body["bucket"];
    EXPECT_EQ(now_in == target, std::string(point) == "move:after_swap") << point;
    // The copies (or originals) of the interrupted move are swept at start.
    EXPECT_EQ(data_files(), 2) << point;
    // A later move completes normally.
    auto again = Move("facts", now_in == "cold" ? "primary" : "cold");
    ASSERT_EQ(again.status, 200) << again.body.dump();
    EXPECT_EQ(Sql(server_, "SELECT sum(v) FROM facts").body["rows"][0][0], 10);
  }
}

TEST_F(BucketE2E, ConcurrentMovesOfOneDatasetLoseNothing) {
  ASSERT_EQ(AddBucket({{"name", "cold"}}).status, 201);
  ASSERT_EQ(Upload(server_, "many.csv", "k,v\na,1\nb,2\n").status, 201);
  std::vector<std::thread> movers;
  std::vector<int> statuses(4);
  for (int i = 0; i < 4; ++i) {
    movers.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", server_.port());
      auto r = c.Patch("/catalog/datasets/by-name/many/bucket", nlohmann::json{{"bucket", i % 2 ? "cold" : "primary"}}.dump(),
                       "application/json");
      statuses[i] = r ? r->status : 0;
    });
  }
  for (auto& t : movers) t.join();
  for (int s : statuses) EXPECT_TRUE(s == 200 || s == 409) << s;
  auto q = Sql(server_, "SELECT count(*), sum(v) FROM many");
  ASSERT_EQ(q.status, 200) << q.body.dump();
  EXPECT_EQ(q.body["rows"][0], nlohmann::json::parse("[2, 3]"));
}

TEST_F(BucketE2E, MigrateBucketsNormalisesLegacyNames) {
  ASSERT_EQ(Upload(server_, "legacy.csv", "a\n1\n").status, 201);
  fs::path manifest = server_.data_dir() / "_catalog/datasets/legacy.json";
  std::ifstream in(manifest);
  auto j = nlohmann::json::parse(in);
  in.close();
  j["bucket"] = "data";
  WriteFile(manifest, j.dump(2));
  auto first = ToReply(server_.http().Post("/catalog/migrate-buckets", "", "application/json"));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(first.body["count"], 1);
  EXPECT_EQ(first.body["changed"][0]["from"], "data");
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/legacy").body["bucket"], "primary");
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM legacy").body["rows"][0][0], 1);
  auto second = ToReply(server_.http().Post("/catalog/migrate-buckets", "", "application/json"));
  EXPECT_EQ(second.body["count"], 0);
}

}  // namespace lakehouse::testing
