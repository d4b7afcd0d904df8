#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

class IngestE2E : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }
  ServerProcess server_{"[ingest]\nmax_upload_bytes = 200000\n"};
};

TEST_F(IngestE2E, CsvUploadIsQueryable) {
  auto r = Upload(server_, "orders.csv", "id,region,amount,email\n1,EU,10.5,a@x.com\n2,US,20,b@y.org\n3,EU,1,c@z.net\n");
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["dataset"], "orders");
  EXPECT_EQ(r.body["rows_written"], 3);
  EXPECT_EQ(r.body["format"], "csv");
  EXPECT_EQ(r.body["manifest"]["lineage"]["source_system"], "upload");
  EXPECT_EQ(r.body["manifest"]["lineage"]["source"], "orders.csv");
  auto q = Sql(server_, "SELECT region, sum(amount) AS total FROM orders GROUP BY region ORDER BY region");
  ASSERT_EQ(q.status, 200) << q.body.dump();
  EXPECT_EQ(q.body["columns"][1]["name"], "total");
  EXPECT_EQ(q.body["rows"], nlohmann::json::parse(R"([["EU", 11.5], ["US", 20.0]])"));
  EXPECT_FALSE(q.body["truncated"].get<bool>());
  EXPECT_TRUE(fs::exists(server_.data_dir() / "datasets/orders/1-1.parquet"));
}

TEST_F(IngestE2E, JsonPdfTextAndRawBody) {
  auto json = Upload(server_, "people.json", R"([{"name":"ana","age":31},{"name":"bo","age":42}])");
  ASSERT_EQ(json.status, 201) << json.body.dump();
  auto pdf = Upload(server_, "manual.pdf", MakePdf({"Install the widget", "Maintain the widget"}));
  ASSERT_EQ(pdf.status, 201) << pdf.body.dump();
  EXPECT_EQ(pdf.body["format"], "pdf");
  auto txt = Upload(server_, "memo.txt", "Para one.\n\nPara two.\n", {{"name", "memo_v1"}});
  ASSERT_EQ(txt.status, 201) << txt.body.dump();
  EXPECT_EQ(txt.body["dataset"], "memo_v1");
  auto raw = ToReply(server_.http().Post("/ingest/file?filename=events.ndjson", "{\"e\":1}\n{\"e\":2}\n",
                                         "application/x-ndjson"));
  ASSERT_EQ(raw.status, 201) << raw.body.dump();
  EXPECT_EQ(raw.body["format"], "ndjson");

  EXPECT_EQ(Sql(server_, "SELECT sum(age) FROM people").body["rows"][0][0], 73);
  auto pages = Sql(server_, "SELECT page, text FROM manual ORDER BY page");
  ASSERT_EQ(pages.body["rows"].size(), 2u);
  EXPECT_NE(pages.body["rows"][1][1].get<std::string>().find("Maintain the widget"), std::string::npos);
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM memo_v1").body["rows"][0][0], 2);
  EXPECT_EQ(Sql(server_, "SELECT sum(e) FROM events").body["rows"][0][0], 3);
}

TEST_F(IngestE2E, AppendReplaceAndNoOp) {
  ASSERT_EQ(Upload(server_, "s.csv", "id,v\n1,10\n").status, 201);
  auto again = Upload(server_, "s.csv", "id,v\n1,10\n");
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.body["no_op"].get<bool>());
  EXPECT_NE(again.body["message"].get<std::string>().find("no change"), std::string::npos);
  ASSERT_EQ(Upload(server_, "s.csv", "id,v\n2,20\n", {{"mode", "append"}}).status, 201);
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM s").body["rows"][0][0], 2);
  auto replaced = Upload(server_, "s.csv", "id,v\n7,70\n8,80\n9,90\n", {{"mode", "replace"}});
  ASSERT_EQ(replaced.status, 201);
  EXPECT_EQ(replaced.body["version"], 2);
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM s").body["rows"][0][0], 3);
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM \"s@v1\"").body["rows"][0][0], 2);
  auto ds = Get(server_, "/catalog/datasets/by-name/s");
  EXPECT_EQ(ds.body["versions"].size(), 2u);
  EXPECT_EQ(ds.body["row_count"], 3);
}

TEST_F(IngestE2E, BadInputsLeaveEverythingAsItWas) {
  ASSERT_EQ(Upload(server_, "keep.csv", "id,v\n1,10\n").status, 201);
  std::string manifest_before = *[&] {
    std::ifstream in(server_.data_dir() / "_catalog/datasets/keep.json");
    return std::make_optional(std::string(std::istreambuf_iterator<char>(in), {}));
  }();
  std::string malformed = "id,v\n";
  for (int i = 0; i < 2000; ++i) malformed += std::to_string(i) + "," + std::to_string(i) + "\n";
  malformed += "x,1,2,3\n";
  auto bad = Upload(server_, "broken.csv", malformed, {{"name", "keep"}});
  EXPECT_EQ(bad.status, 400) << bad.body.dump();
  EXPECT_NE(ErrorMessage(bad).find("broken.csv"), std::string::npos) << ErrorMessage(bad);
  EXPECT_NE(ErrorMessage(bad).find("2002"), std::string::npos) << ErrorMessage(bad);
  EXPECT_EQ(bad.body["error"]["code"], "invalid_argument");

  EXPECT_EQ(Upload(server_, "empty.csv", "").status, 400);
  EXPECT_EQ(Upload(server_, "x.csv", "a\n1\n", {{"name", "../../etc"}}).status, 400);
  EXPECT_EQ(Upload(server_, "x.csv", "a\n1\n", {{"mode", "merge"}}).status, 400);
  EXPECT_EQ(Upload(server_, "x.pdf", "%PDF-1.7 truncated").status, 400);
  auto big = Upload(server_, "big.csv", "a\n" + std::string(300000, '1') + "\n");
  EXPECT_EQ(big.status, 413) << big.body.dump();
  EXPECT_NE(ErrorMessage(big).find("max_upload_bytes"), std::string::npos);
  auto bucket = Upload(server_, "x.csv", "a\n1\n", {}, {{"X-Lakehouse-Bucket", "nope"}});
  EXPECT_EQ(bucket.status, 404);
  EXPECT_NE(ErrorMessage(bucket).find("primary"), std::string::npos);
  auto nofile = ToReply(server_.http().Post("/ingest/file", httplib::Headers{},
                                            httplib::MultipartFormDataItems{{"name", "x", "", ""}}));
  EXPECT_EQ(nofile.status, 400);

  std::ifstream in(server_.data_dir() / "_catalog/datasets/keep.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), manifest_before);
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM keep").body["rows"][0][0], 1);
  auto listed = Get(server_, "/catalog/datasets");
  EXPECT_EQ(listed.body["count"], 1);
  std::vector<std::string> leftovers;
  for (const auto& e : fs::recursive_directory_iterator(server_.data_dir() / "_staging")) leftovers.push_back(e.path());
  EXPECT_TRUE(leftovers.empty()) << leftovers.size();
}

TEST_F(IngestE2E, CliIngestIsSeenByRunningServer) {
  WriteFile(server_.dir() / "cli.csv", "k,v\na,1\nb,2\n");
  std::string out;
  ASSERT_EQ(server_.RunCli({"ingest", (server_.dir() / "cli.csv").string(), "--name", "from_cli"}, &out), 0) << out;
  EXPECT_NE(out.find("from_cli v1"), std::string::npos) << out;
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM from_cli").body["rows"][0][0], 2);
  out.clear();
  ASSERT_EQ(server_.RunCli({"query", "SELECT k, v FROM from_cli ORDER BY k", "--output", "csv"}, &out), 0) << out;
  EXPECT_EQ(out, "k,v\na,1\nb,2\n");
  out.clear();
  EXPECT_EQ(server_.RunCli({"query", "COPY from_cli TO '/tmp/x.csv'"}, &out), 1);
  EXPECT_NE(out.find("COPY statements are not allowed"), std::string::npos) << out;
}

TEST_F(IngestE2E, CliIngestsStdinAndFolders) {
  auto folder = server_.dir() / "drop";
  std::filesystem::create_directories(folder);
  WriteFile(folder / "a.csv", "k,v\na,1\n");
  WriteFile(folder / "b.csv", "k,v\nb,2\n");
  WriteFile(folder / ".hidden.csv", "k,v\nh,9\n");
  std::string out;
  ASSERT_EQ(server_.RunCli({"ingest", folder.string(), "--name", "pair_files"}, &out), 0) << out;
  EXPECT_NE(out.find("[2/2] b.csv"), std::string::npos) << out;
  EXPECT_EQ(Sql(server_, "SELECT count(*), sum(v) FROM pair_files").body["rows"][0], nlohmann::json::parse("[2, 3]"));
  // stdin: the shell pipes a file in; a name and a format are required.
  auto piped = server_.dir() / "piped.ndjson";
  WriteFile(piped, "{\"x\": 1}\n{\"x\": 2}\n");
  out.clear();
  EXPECT_EQ(server_.RunCli({"ingest", "-"}, &out), 1);
  EXPECT_NE(out.find("reading stdin needs --name and --format"), std::string::npos) << out;
  std::string cmd = "'" + BinaryPath() + "' --config '" + (server_.dir() / "lakehouse.toml").string() +
                    "' ingest - --name piped --format ndjson < '" + piped.string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(Sql(server_, "SELECT sum(x) FROM piped").body["rows"][0][0], 3);
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/piped").body["lineage"]["source"], "piped.ndjson");
}

}  // namespace lakehouse::testing
