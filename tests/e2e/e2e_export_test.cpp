#include <fstream>

#include "e2e_helpers.h"

namespace lakehouse::testing {

// Results past the server's row cap (20 here): the CLI prints them whole,
// exports write them whole, and a cut result always says so.
class ExportE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    std::string csv = "n,label\n";
    for (int i = 0; i < kRows; ++i) csv += std::to_string(i) + ",row " + std::to_string(i) + "\n";
    ASSERT_EQ(Upload(server_, "nums.csv", csv).status, 201);
  }
  static constexpr int kRows = 30000;
  ServerProcess server_{"[query]\nmax_result_rows = 20\n"};
};

size_t Lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

TEST_F(ExportE2E, CliQueryPrintsEveryRowAndSaysWhenMaxRowsCutIt) {
  std::string out, err;
  ASSERT_EQ(server_.RunCli({"query", "SELECT * FROM nums ORDER BY n", "--output", "csv"}, &out, &err), 0) << err;
  EXPECT_EQ(Lines(out), kRows + 1u);
  EXPECT_EQ(err, "");
  out.clear();
  ASSERT_EQ(server_.RunCli({"query", "SELECT n FROM nums", "--output", "json"}, &out, &err), 0) << err;
  auto json = nlohmann::json::parse(out);
  EXPECT_EQ(json["rows"].size(), static_cast<size_t>(kRows));
  EXPECT_EQ(json["row_count"], kRows);
  EXPECT_FALSE(json["truncated"].get<bool>());
  out.clear();
  ASSERT_EQ(server_.RunCli({"query", "SELECT n FROM nums", "--output", "csv", "--max-rows", "7"}, &out, &err), 0);
  EXPECT_EQ(Lines(out), 8u);
  EXPECT_EQ(err, "note: stopped at --max-rows 7; more rows exist\n");
  // catalog set takes the schema policy too, and its help lists only commands that exist.
  ASSERT_EQ(server_.RunCli({"catalog", "set", "nums", "--schema-policy", "strict"}, &out), 0) << out;
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/nums").body["schema_policy"], "strict");
  out.clear();
  ASSERT_EQ(server_.RunCli({"catalog", "--help"}, &out), 0);
  EXPECT_EQ(out.find("describe"), std::string::npos) << out;
}

TEST_F(ExportE2E, CliExportWritesTheWholeFileInEachFormat) {
  auto dir = server_.data_dir().parent_path();
  std::string out, err;
  for (const char* ext : {"csv", "tsv", "parquet", "json", "ndjson"}) {
    auto file = dir / (std::string("nums.") + ext);
    ASSERT_EQ(server_.RunCli({"export", "nums", "-o", file.string()}, &out, &err), 0) << err;
    EXPECT_NE(err.find("exported 30,000 rows (" + std::string(ext)), std::string::npos) << err;
    // Read back through the server, as any user would: ingest it again.
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto again = Upload(server_, std::string("again_") + ext + "." + ext, bytes);
    ASSERT_EQ(again.status, 201) << ext << ": " << again.body.dump();
    auto count = Sql(server_, std::string("SELECT count(*), sum(n) FROM again_") + ext);
    EXPECT_EQ(count.body["rows"][0][0], kRows) << ext;
    EXPECT_EQ(count.body["rows"][0][1], int64_t{kRows} * (kRows - 1) / 2) << ext;
  }
  out.clear();
  ASSERT_EQ(server_.RunCli({"export", "--sql", "SELECT n FROM nums WHERE n < 3 ORDER BY n", "-f", "ndjson"}, &out, &err), 0);
  EXPECT_EQ(out, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
  // A failed export leaves the destination as it was.
  auto kept = dir / "kept.csv";
  { std::ofstream(kept) << "old\n"; }
  EXPECT_EQ(server_.RunCli({"export", "--sql", "SELECT CAST(label AS INTEGER) FROM nums", "-o", kept.string()}, &out, &err), 1);
  EXPECT_NE(err.find("was not written"), std::string::npos) << err;
  std::ifstream in(kept);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), "old\n");
  EXPECT_EQ(server_.RunCli({"export", "nobody", "-o", (dir / "x.csv").string()}, &out, &err), 1);
  EXPECT_NE(err.find("dataset 'nobody' does not exist"), std::string::npos) << err;
}

TEST_F(ExportE2E, HttpExportStreamsPastTheRowCap) {
  std::string body;
  auto res = server_.http().Post("/query/export", R"({"dataset": "nums", "format": "csv"})", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Transfer-Encoding"), "chunked");
  EXPECT_EQ(res->get_header_value("Content-Disposition"), "attachment; filename=\"nums.csv\"");
  EXPECT_EQ(Lines(res->body), kRows + 1u);
  auto ndjson = server_.http().Post("/query/export", R"({"sql": "SELECT n FROM nums WHERE n >= 29998 ORDER BY n", "format": "ndjson"})",
                                    "application/json");
  ASSERT_TRUE(ndjson);
  EXPECT_EQ(ndjson->body, "{\"n\":29998}\n{\"n\":29999}\n");
  auto parquet = server_.http().Post("/query/export", R"({"dataset": "nums", "format": "parquet"})", "application/json");
  ASSERT_TRUE(parquet);
  EXPECT_EQ(parquet->body.substr(0, 4), "PAR1");
  EXPECT_EQ(parquet->body.substr(parquet->body.size() - 4), "PAR1");

  // Refused before a byte is sent: a clear error with the right status.
  auto write = ToReply(server_.http().Post("/query/export", R"({"sql": "DELETE FROM nums"})", "application/json"));
  EXPECT_EQ(write.status, 403);
  auto file = ToReply(server_.http().Post("/query/export", R"J({"sql": "SELECT * FROM read_text('/etc/passwd')"})J", "application/json"));
  EXPECT_EQ(file.status, 403);
  auto format = ToReply(server_.http().Post("/query/export", R"({"dataset": "nums", "format": "xls"})", "application/json"));
  EXPECT_EQ(format.status, 400);
  EXPECT_NE(ErrorMessage(format).find("csv, tsv, parquet, json or ndjson"), std::string::npos);
  EXPECT_EQ(ToReply(server_.http().Post("/query/export", R"({"dataset": "nope"})", "application/json")).status, 404);
  EXPECT_EQ(ToReply(server_.http().Post("/query/export", "{}", "application/json")).status, 400);
  EXPECT_EQ(ToReply(server_.http().Post("/query/export", R"({"sql": "-- only a comment"})", "application/json")).status, 400);
  std::string out, err;
  EXPECT_EQ(server_.RunCli({"query", "-- only a comment"}, &out, &err), 1);
  EXPECT_NE(err.find("holds no statement"), std::string::npos) << err;
  // A mistyped upload field is refused, not dropped.
  auto typo = Upload(server_, "t.csv", "a;b\n1;2\n", {{"delimeter", ";"}});
  EXPECT_EQ(typo.status, 400);
  EXPECT_NE(ErrorMessage(typo).find("unknown upload field 'delimeter'"), std::string::npos) << typo.body.dump();

  // An error past the first bytes cuts the stream: the client knows it is incomplete.
  auto cut = server_.http().Post(
      "/query/export",
      R"J({"sql": "SELECT CAST(CASE WHEN range = 250000 THEN 'x' ELSE '1' END AS INTEGER) FROM range(300000)"})J",
      "application/json");
  EXPECT_FALSE(cut && cut->status == 200 && Lines(cut->body) == 300001u);
  EXPECT_EQ(Get(server_, "/health").status, 200);
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM nums").body["rows"][0][0], kRows);
}

TEST_F(ExportE2E, AClientThatLeavesMidExportFreesTheServer) {
  for (int i = 0; i < 12; ++i) {  // more than the query slots (8): each must come back
    httplib::Client client("127.0.0.1", server_.port());
    size_t got = 0;
    httplib::Request req;
    req.method = "POST";
    req.path = "/query/export";
    req.body = R"({"sql": "SELECT a.range * b.range AS x FROM range(100000) a, range(100000) b"})";
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char*, size_t n, uint64_t, uint64_t) {
      got += n;
      return got < 100000;  // stop reading: the client goes away
    };
    httplib::Response res;
    httplib::Error error;
    EXPECT_FALSE(client.send(req, res, error));
    EXPECT_GE(got, 100000u);
  }
  auto r = Sql(server_, "SELECT count(*) FROM nums");
  EXPECT_EQ(r.status, 200) << r.body.dump();
}

}  // namespace lakehouse::testing
