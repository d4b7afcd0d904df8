// Index moves through the real binary: PATCH /vectors/indexes/{name}/bucket,
// a dataset move that carries its indexes, appends and searches afterwards,
// and a kill -9 at each step of a move.
#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

namespace {

std::string Notes(int from, int to) {
  std::string csv = "id,body\n";
  for (int i = from; i < to; ++i) csv += std::to_string(i) + ",\"Note " + std::to_string(i) + " keyword" + std::to_string(i) + " about cargo ships\"\n";
  return csv;
}

}  // namespace

class IndexMoveE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    auto cold = Send("POST", "/storage/buckets", {{"name", "cold"}});
    ASSERT_EQ(cold.status, 201) << cold.body.dump();
    cold_ = cold.body["root"].get<std::string>();
    ASSERT_EQ(Upload(server_, "notes.csv", Notes(0, 300)).status, 201);
    auto created = Send("POST", "/vectors/indexes",
                        {{"name", "notes_idx"}, {"dataset", "notes"}, {"id_column", "id"}, {"text_column", "body"},
                         {"backend", "hnsw"}, {"embedder", {{"provider", "hash"}}}, {"wait", true}});
    ASSERT_EQ(created.status, 201) << created.body.dump();
  }
  Reply Send(const std::string& method, const std::string& path, const nlohmann::json& body) {
    auto& http = server_.http();
    if (method == "POST") return ToReply(http.Post(path.c_str(), body.dump(), "application/json"));
    return ToReply(http.Patch(path.c_str(), body.dump(), "application/json"));
  }
  // The top hit of a search by words and by meaning (the same document, or "").
  std::string Top(const std::string& text) {
    std::string first;
    for (const char* mode : {"text", "vector"}) {
      auto r = Send("POST", "/vectors/search/notes_idx", {{"text", text}, {"k", 3}, {"mode", mode}});
      if (r.status != 200 || r.body["hits"].empty()) return "";
      std::string id = r.body["hits"][0]["doc_id"];
      if (!first.empty() && id != first) return "";
      first = id;
    }
    return first;
  }
  // Files of the index in each bucket: {primary, cold}.
  std::pair<int, int> IndexFiles() {
    auto count = [](const fs::path& dir) {
      int n = 0;
      std::error_code ec;
      for (auto& e : fs::recursive_directory_iterator(dir, ec)) n += e.is_regular_file();
      return n;
    };
    return {count(server_.data_dir() / "vectors/notes_idx"), count(cold_ / "vectors/notes_idx")};
  }
  ServerProcess server_;
  fs::path cold_;
};

TEST_F(IndexMoveE2E, MovedIndexServesSearchesAppendsAndMovesBack) {
  auto [files, none] = IndexFiles();
  ASSERT_GT(files, 0);
  ASSERT_EQ(none, 0);
  auto moved = Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", "cold"}});
  ASSERT_EQ(moved.status, 200) << moved.body.dump();
  EXPECT_EQ(moved.body["bucket"], "cold");
  EXPECT_EQ(IndexFiles(), std::make_pair(0, files));
  EXPECT_EQ(Top("keyword123"), "123");
  // Appended rows go to the moved files and are found by words and meaning.
  ASSERT_EQ(Upload(server_, "notes.csv", Notes(300, 310)).status, 201);
  auto refreshed = Send("POST", "/vectors/refresh/notes", nlohmann::json::object());
  ASSERT_EQ(refreshed.status, 200) << refreshed.body.dump();
  EXPECT_EQ(Top("keyword305"), "305");
  EXPECT_EQ(IndexFiles().first, 0);
  // After a restart too.
  server_.Stop();
  ASSERT_TRUE(server_.Start()) << server_.log();
  EXPECT_EQ(Top("keyword305"), "305");
  // Errors: unknown bucket or index, missing field.
  EXPECT_EQ(Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", "nope"}}).status, 404);
  EXPECT_EQ(Send("PATCH", "/vectors/indexes/nope/bucket", {{"bucket", "primary"}}).status, 404);
  EXPECT_EQ(Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"to", "primary"}}).status, 400);
  // The bucket holds an index: it cannot be removed.
  EXPECT_EQ(ToReply(server_.http().Delete("/storage/buckets/cold")).status, 409);
  auto back = Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", "primary"}});
  ASSERT_EQ(back.status, 200) << back.body.dump();
  EXPECT_EQ(IndexFiles().second, 0);
  EXPECT_EQ(Top("keyword305"), "305");
}

TEST_F(IndexMoveE2E, ADatasetMoveCarriesItsIndexes) {
  auto moved = Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "cold"}});
  ASSERT_EQ(moved.status, 200) << moved.body.dump();
  EXPECT_EQ(moved.body["bucket"], "cold");
  EXPECT_EQ(moved.body["indexes_moved"], nlohmann::json({"notes_idx"}));
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx").body["bucket"], "cold");
  EXPECT_EQ(IndexFiles().first, 0);
  EXPECT_EQ(Top("keyword42"), "42");
  auto hits = Send("POST", "/vectors/search/notes_idx", {{"text", "keyword42"}, {"k", 1}});
  ASSERT_EQ(hits.status, 200);
  EXPECT_EQ(hits.body["hits"][0]["row"]["id"], 42) << "rows still join from the moved dataset";
}

TEST_F(IndexMoveE2E, AKillAtEveryStepLeavesOneCompleteServableIndex) {
  auto [files, none] = IndexFiles();
  for (const char* point : {"index_move:after_copy", "index_move:after_swap"}) {
    server_.Stop();
    server_.SetEnv("LAKEHOUSE_CRASH_AT", point);
    ASSERT_TRUE(server_.Start()) << server_.log();
    std::string from = Get(server_, "/vectors/indexes/notes_idx").body["bucket"];
    std::string target = from == "cold" ? "primary" : "cold";
    Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", target}});  // dies (kill -9) mid-move
    ASSERT_TRUE(server_.WaitForExit(10000)) << point;
    server_.ClearEnv();
    ASSERT_TRUE(server_.Start()) << server_.log();
    std::string now_in = Get(server_, "/vectors/indexes/notes_idx").body["bucket"];
    EXPECT_EQ(now_in == target, std::string(point) == "index_move:after_swap") << point;
    EXPECT_EQ(Top("keyword77"), "77") << point;
    // Exactly one copy: the other was swept at start.
    auto [primary, cold] = IndexFiles();
    EXPECT_EQ(now_in == "cold" ? std::make_pair(0, files) : std::make_pair(files, 0), std::make_pair(primary, cold))
        << point;
    // A later move completes normally.
    auto again = Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", now_in == "cold" ? "primary" : "cold"}});
    ASSERT_EQ(again.status, 200) << again.body.dump();
    EXPECT_EQ(Top("keyword77"), "77") << point;
  }
  (void)none;
}

TEST_F(IndexMoveE2E, AMoveByTheCliIsFollowedByTheServer) {
  EXPECT_EQ(Top("keyword12"), "12");  // loaded by the server from primary
  std::string out;
  ASSERT_EQ(server_.RunCli({"index", "move", "notes_idx", "--bucket", "cold"}, &out), 0) << out;
  EXPECT_NE(out.find("now in bucket cold"), std::string::npos) << out;
  ASSERT_EQ(Upload(server_, "notes.csv", Notes(300, 310)).status, 201);
  ASSERT_EQ(Send("POST", "/vectors/refresh/notes", nlohmann::json::object()).status, 200);
  EXPECT_EQ(Top("keyword305"), "305") << "the server reads the moved full-text file, not the deleted one";
  EXPECT_EQ(Top("keyword12"), "12");
}

TEST_F(IndexMoveE2E, ADatasetMoveKilledAfterItsSwapBringsTheIndexOnRetry) {
  server_.Stop();
  server_.SetEnv("LAKEHOUSE_CRASH_AT", "move:after_swap");
  ASSERT_TRUE(server_.Start()) << server_.log();
  Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "cold"}});  // dies after the dataset's swap
  ASSERT_TRUE(server_.WaitForExit(10000));
  server_.ClearEnv();
  ASSERT_TRUE(server_.Start()) << server_.log();
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/notes").body["bucket"], "cold");
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx").body["bucket"], "primary");
  auto retried = Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "cold"}});
  ASSERT_EQ(retried.status, 200) << retried.body.dump();
  EXPECT_EQ(retried.body["indexes_moved"], nlohmann::json({"notes_idx"}));
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx").body["bucket"], "cold");
  EXPECT_EQ(Top("keyword42"), "42");
  // An index placed elsewhere on purpose stays there when its dataset moves.
  ASSERT_EQ(Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", "primary"}}).status, 200);
  auto back = Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "primary"}});
  ASSERT_EQ(back.status, 200);
  EXPECT_EQ(back.body["indexes_moved"], nlohmann::json::array());
  ASSERT_EQ(Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "cold"}}).status, 200);
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx").body["bucket"], "primary") << "placed, not following";
  // Asking again for the bucket it is in keeps it placed.
  ASSERT_EQ(Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", "primary"}}).status, 200);
  ASSERT_EQ(Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "primary"}}).status, 200);
  ASSERT_EQ(Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "cold"}}).status, 200);
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx").body["bucket"], "primary");
  EXPECT_EQ(Send("PATCH", "/catalog/datasets/by-name/notes/bucket", {{"bucket", "cold"}, {"extra", 1}}).status, 400);
}

TEST_F(IndexMoveE2E, AHybridSearchOfNoWordsIsEmptyAndAVectorOneSaysWhy) {
  auto hybrid = Send("POST", "/vectors/search/notes_idx", {{"text", "!!! ???"}, {"mode", "hybrid"}});
  ASSERT_EQ(hybrid.status, 200) << hybrid.body.dump();
  EXPECT_TRUE(hybrid.body["hits"].empty());
  auto vector = Send("POST", "/vectors/search/notes_idx", {{"text", "!!!"}, {"mode", "vector"}});
  EXPECT_EQ(vector.status, 400);
  EXPECT_NE(ErrorMessage(vector).find("no words"), std::string::npos) << vector.body.dump();
}

TEST_F(IndexMoveE2E, ABucketWithIndexFilesIsNotRemoved) {
  fs::create_directories(cold_ / "vectors/incoming");
  WriteFile(cold_ / "vectors/incoming/embeddings-1.parquet", "copy under way");
  auto removed = ToReply(server_.http().Delete("/storage/buckets/cold"));
  EXPECT_EQ(removed.status, 409);
  EXPECT_NE(ErrorMessage(removed).find("incoming"), std::string::npos) << removed.body.dump();
  EXPECT_EQ(Send("PATCH", "/vectors/indexes/notes_idx/bucket", {{"bucket", "cold"}, {"x", 1}}).status, 400);
  EXPECT_EQ(Send("PATCH", "/vectors/indexes/..%2Fx/bucket", {{"bucket", "cold"}}).status / 100, 4);
}

}  // namespace lakehouse::testing
