// Hostile input against the real server: each request must get an answer
// in our words, the server must stay up, and other datasets must stay
// queryable. Each case is an input that once crashed or poisoned it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

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

TEST_F(HostileE2E, LinksAndLeftoversInBucketsAreRemovedAtStart) {
  server_.Stop();
  fs::path data = server_.data_dir();
  fs::create_directories(data / "datasets" / "good");
  fs::create_symlink("/etc/passwd", data / "datasets" / "good" / "passwd.csv");
  // A killed HNSW save leaves its temporary beside the final file (pid 1 is never us).
  WriteFile(data / "vectors" / "idx" / "g1" / ".graph.hnsw.999999.0.tmp", std::string(1000, 'x'));
  // A file no manifest points at (a killed commit), and one of a dataset whose manifest is unreadable.
  WriteFile(data / "datasets" / "ghost" / "1-1.parquet", "PAR1");
  WriteFile(data / "datasets" / "broken" / "1-1.parquet", "PAR1");
  WriteFile(data / "_catalog" / "datasets" / "broken.json", "{oops");
  ASSERT_TRUE(server_.Start()) << server_.log();
  EXPECT_FALSE(fs::exists(fs::symlink_status(data / "datasets" / "good" / "passwd.csv")));
  EXPECT_FALSE(fs::exists(data / "vectors" / "idx" / "g1" / ".graph.hnsw.999999.0.tmp"));
  EXPECT_FALSE(fs::exists(data / "datasets" / "ghost" / "1-1.parquet"));
  EXPECT_TRUE(fs::exists(data / "datasets" / "broken" / "1-1.parquet"));
  ExpectAliveAndGoodQueryable();
  // SQL reads data files only: not manifests, not vector files.
  std::string path = (data / "_catalog" / "datasets" / "good.json").string();
  auto read_manifest = Sql(server_, "SELECT * FROM read_text('" + path + "')");
  EXPECT_EQ(read_manifest.status, 403) << read_manifest.body.dump();
}

TEST_F(HostileE2E, ALinkPlacedWhileTheServerRunsIsNeverRead) {
  fs::path data = server_.data_dir();
  ASSERT_EQ(Upload(server_, "secret.csv", "who,pin\nalice,4321\n").status, 201);
  fs::path outside = fs::path(data).concat(".outside");
  fs::create_directories(outside);
  fs::path secret_copy = outside / "secret.parquet";
  for (const auto& f : fs::directory_iterator(data / "datasets" / "secret")) fs::copy_file(f.path(), secret_copy);
  ASSERT_EQ(ToReply(server_.http().Delete("/catalog/datasets/by-name/secret")).status, 200);
  // Swap good's data file for a link to a file outside every bucket.
  fs::path good_file;
  for (const auto& f : fs::directory_iterator(data / "datasets" / "good")) good_file = f.path();
  fs::remove(good_file);
  fs::create_symlink(secret_copy, good_file);
  ASSERT_EQ(Upload(server_, "other.csv", "x\n7\n").status, 201);  // views are rebuilt
  auto read = Sql(server_, "SELECT * FROM good");
  EXPECT_EQ(read.status, 409) << read.body.dump();
  EXPECT_NE(ErrorMessage(read).find("dataset 'good' cannot be read: its data file"), std::string::npos)
      << ErrorMessage(read);
  EXPECT_NE(ErrorMessage(read).find("symbolic link"), std::string::npos) << ErrorMessage(read);
  EXPECT_EQ(read.body.dump().find("4321"), std::string::npos) << read.body.dump();
  std::string cli_out, cli_err;  // one-shot CLI: its views are built lazily, checked the same way
  EXPECT_NE(server_.RunCli({"query", "SELECT * FROM good"}, &cli_out, &cli_err), 0);
  EXPECT_NE(cli_err.find("symbolic link"), std::string::npos) << cli_err;
  EXPECT_EQ((cli_out + cli_err).find("4321"), std::string::npos) << cli_out;
  // Named by its path, or by a pattern that takes it in, the link is not
  // followed either, even for a key that may read files (the pii grant).
  httplib::Headers key = {{"X-Api-Key", MakeKey(server_, "reader", "pii_reader", {"--grant", "pii"})}};
  for (const std::string& path : {good_file.string(), (data / "datasets").string() + "/*/*.parquet"}) {
    auto direct = Sql(server_, "SELECT * FROM read_parquet('" + path + "')", key);
    EXPECT_EQ(direct.status, 403) << direct.body.dump();
    EXPECT_NE(ErrorMessage(direct).find("symbolic link inside a bucket"), std::string::npos) << ErrorMessage(direct);
    EXPECT_EQ(direct.body.dump().find("4321"), std::string::npos) << direct.body.dump();
  }
  auto outside_read = Sql(server_, "SELECT * FROM read_parquet('" + secret_copy.string() + "')", key);
  EXPECT_EQ(outside_read.status, 403) << outside_read.body.dump();
  EXPECT_NE(ErrorMessage(outside_read).find("SQL may read only the data files of the buckets"), std::string::npos)
      << ErrorMessage(outside_read);
  fs::remove(data / "_catalog" / "auth" / "keys.json");  // open again, as the rest of this test expects
  auto health = Get(server_, "/health");
  EXPECT_NE(health.body.dump().find("symbolic link"), std::string::npos) << health.body.dump();
  auto other = Sql(server_, "SELECT x FROM other");
  ASSERT_EQ(other.status, 200) << other.body.dump();
  // A folder others may write to is theirs to plant links in: at start it is taken back.
  server_.Stop();
  fs::permissions(data / "datasets" / "other", fs::perms::all);
  ASSERT_TRUE(server_.Start()) << server_.log();
  EXPECT_FALSE(fs::exists(fs::symlink_status(good_file)));
  EXPECT_EQ(fs::status(data / "datasets" / "other").permissions() & (fs::perms::group_write | fs::perms::others_write),
            fs::perms::none);
  // A bucket added on a folder that already holds a link: the link goes.
  fs::path extra = data / "_buckets" / "extra";
  fs::create_directories(extra / "datasets" / "x");
  fs::create_symlink("/etc/passwd", extra / "datasets" / "x" / "passwd.csv");
  auto added = ToReply(server_.http().Post("/storage/buckets", nlohmann::json{{"name", "extra"}}.dump(), "application/json"));
  ASSERT_EQ(added.status, 201) << added.body.dump();
  EXPECT_FALSE(fs::exists(fs::symlink_status(extra / "datasets" / "x" / "passwd.csv")));
  auto passwd = Sql(server_, "SELECT * FROM read_csv('" + (extra / "datasets" / "x" / "passwd.csv").string() + "')");
  EXPECT_GE(passwd.status, 400) << passwd.body.dump();
  fs::remove_all(outside);
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

namespace lakehouse::testing {

class LimitsE2E : public ::testing::Test {
 protected:
  LimitsE2E()
      : server_("[server]\nthreads = 4\nheader_timeout_ms = 1000\nread_timeout_ms = 2000\n"
                "max_connections_per_client = 20\n"
                "[query]\nduckdb_memory_limit = \"256MB\"\nmax_result_bytes = 100000\nmax_concurrent = 2\n"
                "timeout_ms = 4000\n") {}
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    ASSERT_EQ(Upload(server_, "good.csv", "id,v\n1,10\n2,20\n").status, 201);
  }
  ServerProcess server_;
};

TEST_F(LimitsE2E, SlowClientsDoNotBlockTheApi) {
  // Headers that promise a body that never comes: they used to hold every worker for minutes.
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < 30; ++i) {
    stalled.push_back(std::make_unique<RawClient>(server_.port(), "127.0.0.1"));
    ASSERT_TRUE(stalled.back()->Send("POST /query/sql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
  }
  int refused = 0;
  for (auto& c : stalled) refused += c->Receive(200).find("503") != std::string::npos;
  EXPECT_GE(refused, 10);  // over the cap of 20 per address
  // Another client is served at once.
  httplib::Client other("127.0.0.1", server_.port());
  other.set_interface("127.0.0.2");
  other.set_read_timeout(3, 0);
  auto health = other.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // A client dribbling its headers is cut off at the header deadline.
  RawClient dribble(server_.port(), "127.0.0.3");
  ASSERT_TRUE(dribble.Send("GET /health HTTP/1.1\r\n"));
  std::string answer;
  for (int i = 0; i < 20 && answer.empty(); ++i) {
    dribble.Send("X-Slow: 1\r\n");
    answer = dribble.Receive(500);
  }
  EXPECT_FALSE(answer.empty()) << "still connected after 10 s of dribbled headers";
  // The stalled bodies time out too, and their address is served again.
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    auto r = server_.http().Get("/health");
    served = r && r->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(served);
  auto sum = Sql(server_, "SELECT sum(v) FROM good");
  EXPECT_EQ(sum.status, 200);
}

TEST_F(LimitsE2E, AMemoryBombFailsClearlyAndTheServerStaysUp) {
  auto bomb = Sql(server_, "SELECT length(list(i)) FROM range(1000000000) t(i)");
  EXPECT_EQ(bomb.status, 413) << bomb.body.dump();
  EXPECT_NE(ErrorMessage(bomb).find("more memory than the engine may use"), std::string::npos) << ErrorMessage(bomb);
  EXPECT_EQ(Sql(server_, "SELECT sum(v) FROM good").status, 200);
}

TEST_F(LimitsE2E, ResponsesAreCappedInBytesAndSaySo) {
  auto big = Sql(server_, "SELECT i, repeat('x', 1000) AS pad FROM range(1000) t(i)");
  ASSERT_EQ(big.status, 200) << big.body.dump();
  EXPECT_TRUE(big.body["truncated"].get<bool>());
  EXPECT_EQ(big.body["truncated_by"], "bytes");
  EXPECT_NE(big.body["message"].get<std::string>().find("max_result_bytes"), std::string::npos);
  EXPECT_GT(big.body["row_count"].get<int>(), 50);
  EXPECT_LT(big.body["row_count"].get<int>(), 110);
  auto rows = Sql(server_, "SELECT i FROM range(20000) t(i)");
  EXPECT_EQ(rows.body["truncated_by"], "rows");
  auto small = Sql(server_, "SELECT 1");
  EXPECT_FALSE(small.body.contains("truncated_by"));
}

TEST_F(LimitsE2E, SlowQueriesLeaveHealthAndCatalogAnswering) {
  const std::string slow_sql = "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3";
  std::vector<std::thread> slow;
  std::vector<int> statuses(2, 0);
  for (int i = 0; i < 2; ++i) {  // max_concurrent = 2: these take both slots for 4 s
    slow.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", server_.port());
      c.set_read_timeout(30, 0);
      auto r = c.Post("/query/sql", nlohmann::json{{"sql", slow_sql}}.dump(), "application/json");
      statuses[i] = r ? r->status : -1;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Get(server_, "/health").status, 200);
    EXPECT_EQ(Get(server_, "/catalog/datasets").status, 200);
  }
  // A third query waits for a slot as long as its own time limit, then is told why.
  auto waiting = ToReply(server_.http().Post(
      "/query/sql", nlohmann::json{{"sql", "SELECT 1"}, {"timeout_ms", 1000}}.dump(), "application/json"));
  EXPECT_EQ(waiting.status, 503) << waiting.body.dump();
  EXPECT_NE(ErrorMessage(waiting).find("busy"), std::string::npos);
  for (auto& t : slow) t.join();
  EXPECT_EQ(statuses, (std::vector<int>{408, 408}));
  EXPECT_EQ(Sql(server_, "SELECT 1").status, 200);
}

}  // namespace lakehouse::testing
