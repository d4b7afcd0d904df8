#include "e2e_helpers.h"

namespace lakehouse::testing {

class QueryE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    std::string csv = "n\n";
    for (int i = 0; i < 50; ++i) csv += std::to_string(i) + "\n";
    ASSERT_EQ(Upload(server_, "nums.csv", csv).status, 201);
  }
  ServerProcess server_{"[query]\nmax_result_rows = 20\ntimeout_ms = 3000\n"};
};

TEST_F(QueryE2E, CapsRowsAndReportsTruncation) {
  auto all = Sql(server_, "SELECT n FROM nums ORDER BY n");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body["rows"].size(), 20u);
  EXPECT_TRUE(all.body["truncated"].get<bool>());
  auto few = ToReply(server_.http().Post("/query/sql", R"({"sql": "SELECT n FROM nums", "max_rows": 5})", "application/json"));
  EXPECT_EQ(few.body["rows"].size(), 5u);
}

TEST_F(QueryE2E, TimeoutCancelsTheQuery) {
  auto slow = ToReply(server_.http().Post(
      "/query/sql", R"({"sql": "SELECT count(*) FROM range(100000000000) a, range(100) b", "timeout_ms": 300})",
      "application/json"));
  EXPECT_EQ(slow.status, 408) << slow.body.dump();
  EXPECT_EQ(slow.body["error"]["code"], "timeout");
  EXPECT_EQ(Sql(server_, "SELECT 1").status, 200);
}

TEST_F(QueryE2E, SandboxRefusesFilesAndWrites) {
  for (const char* sql : {"COPY nums TO '/tmp/lh_e2e_leak.csv'", "SELECT * FROM read_csv('/etc/passwd')",
                          "ATTACH '/tmp/lh_e2e.db' AS x", "INSTALL httpfs", "CREATE TABLE t (a INT)",
                          "SET enable_external_access = true", "SELECT * FROM read_text('/proc/self/environ')"}) {
    auto r = Sql(server_, sql);
    EXPECT_EQ(r.status, 403) << sql << " -> " << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "permission_denied");
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/lh_e2e_leak.csv"));
}

TEST_F(QueryE2E, BadRequestsGetClearErrors) {
  auto syntax = Sql(server_, "SELEC 1");
  EXPECT_EQ(syntax.status, 400);
  EXPECT_NE(ErrorMessage(syntax).find("syntax"), std::string::npos) << syntax.body.dump();
  EXPECT_EQ(ToReply(server_.http().Post("/query/sql", "{}", "application/json")).status, 400);
  EXPECT_EQ(ToReply(server_.http().Post("/query/sql", "not json", "application/json")).status, 400);
  EXPECT_EQ(ToReply(server_.http().Post("/query/sql", R"({"sql": 42})", "application/json")).status, 400);
  EXPECT_EQ(Sql(server_, "SELECT 1; SELECT 2").status, 400);
  auto missing = Get(server_, "/no/such/route");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"]["code"], "not_found");
}

TEST_F(QueryE2E, TypesSurviveToJson) {
  auto r = Sql(server_, "SELECT 1::TINYINT AS a, 12.50::DECIMAL(6,2) AS b, [1,2] AS c, {'x': 'y'} AS d, "
                        "NULL AS e, DATE '2024-02-29' AS f, 'quote \" and \\ and \n' AS g, true AS h");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto row = r.body["rows"][0];
  EXPECT_EQ(row[0], 1);
  EXPECT_EQ(row[1].dump(), "12.5");
  EXPECT_EQ(r.body["columns"][1]["type"], "DECIMAL(6,2)");
  EXPECT_EQ(row[2], nlohmann::json::parse("[1,2]"));
  EXPECT_EQ(row[3], nlohmann::json::parse(R"({"x":"y"})"));
  EXPECT_TRUE(row[4].is_null());
  EXPECT_EQ(row[5], "2024-02-29");
  EXPECT_EQ(row[6], "quote \" and \\ and \n");
  EXPECT_EQ(row[7], true);
}

}  // namespace lakehouse::testing
