#include <cstdlib>
#include <fstream>
#include <sstream>

#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

// {"host", "port", "user", "password", "database"} from a DSN of the form
// scheme://user:password@host:port/database.
nlohmann::json connectors_fields(const std::string& dsn) {
  std::string rest = dsn.substr(dsn.find("://") + 3);
  std::string userinfo = rest.substr(0, rest.find('@'));
  std::string hostport = rest.substr(rest.find('@') + 1, rest.find('/') - rest.find('@') - 1);
  return {{"user", userinfo.substr(0, userinfo.find(':'))},
          {"password", userinfo.substr(userinfo.find(':') + 1)},
          {"host", hostport.substr(0, hostport.find(':'))},
          {"port", std::stoi(hostport.substr(hostport.find(':') + 1))},
          {"database", rest.substr(rest.find('/') + 1)}};
}

class ImportE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* env : {"LAKEHOUSE_TEST_PG_DSN", "LAKEHOUSE_TEST_MYSQL_DSN", "LAKEHOUSE_TEST_SECRET"}) {
      if (!std::getenv(env)) {
        if (std::getenv("CI")) FAIL() << env << " is not set in CI";
        GTEST_SKIP() << env << " not set: run scripts/services.sh start";
      }
    }
    pg_dsn_ = std::getenv("LAKEHOUSE_TEST_PG_DSN");
    my_dsn_ = std::getenv("LAKEHOUSE_TEST_MYSQL_DSN");
    secret_ = std::getenv("LAKEHOUSE_TEST_SECRET");
    ASSERT_TRUE(server_.Start()) << server_.log();
  }
  Reply Post(const std::string& path, const nlohmann::json& body) {
    auto res = server_.http().Post(path.c_str(), body.dump(), "application/json");
    if (res) responses_ += res->body;
    return ToReply(res);
  }
  // The password must not appear in anything lakehouse wrote or said.
  void ExpectSecretNowhere() {
    EXPECT_EQ(responses_.find(secret_), std::string::npos) << "a response leaked the password";
    EXPECT_EQ(server_.log().find(secret_), std::string::npos) << "the server log leaked the password";
    for (const auto& entry : fs::recursive_directory_iterator(server_.data_dir())) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      EXPECT_EQ(ss.str().find(secret_), std::string::npos) << entry.path() << " holds the password";
    }
  }

  ServerProcess server_;
  std::string pg_dsn_, my_dsn_, secret_, responses_;
};

TEST_F(ImportE2E, PostgresListImportAndFailures) {
  std::string replaced = pg_dsn_;
  replaced.replace(replaced.find(secret_), secret_.size(), "wrong-password");
  auto listed = Post("/ingest/postgres/tables", {{"dsn", pg_dsn_}});
  ASSERT_EQ(listed.status, 200) << listed.body.dump();
  EXPECT_TRUE(listed.body["tables"].is_array());
  EXPECT_EQ(listed.body["source"].get<std::string>().find(secret_), std::string::npos);

  auto imported = Post("/ingest/postgres/import",
                       {{"dsn", pg_dsn_}, {"query", "SELECT g AS id, 'user' || g || '@example.com' AS email FROM generate_series(1, 250) g"},
                        {"name", "pg_users"}});
  ASSERT_EQ(imported.status, 201) << imported.body.dump();
  EXPECT_EQ(imported.body["rows_written"], 250);
  EXPECT_EQ(imported.body["format"], "postgres");
  EXPECT_EQ(Sql(server_, "SELECT count(*), sum(id) FROM pg_users").body["rows"][0], nlohmann::json::parse("[250, 31375]"));
  auto ds = Get(server_, "/catalog/datasets/by-name/pg_users");
  EXPECT_EQ(ds.body["lineage"]["source_system"], "postgres");
  EXPECT_EQ(ds.body["lineage"]["source"].get<std::string>().rfind("query:", 0), 0u);
  EXPECT_EQ(ds.body["lineage"]["query"],
            "SELECT g AS id, 'user' || g || '@example.com' AS email FROM generate_series(1, 250) g");
  EXPECT_EQ(ds.body.dump().find(secret_), std::string::npos);
  bool email_pii = false;
  for (const auto& c : ds.body["columns"]) email_pii |= c["name"] == "email" && c["is_pii"].get<bool>();
  EXPECT_TRUE(email_pii);

  // Separate fields work too.
  auto params = connectors_fields(pg_dsn_);
  params["query"] = "SELECT 1 AS one";
  params["name"] = "pg_fields";
  EXPECT_EQ(Post("/ingest/postgres/import", params).status, 201);

  auto bad_password = Post("/ingest/postgres/import", {{"dsn", replaced}, {"table", "x"}});
  EXPECT_EQ(bad_password.status, 400);
  EXPECT_NE(ErrorMessage(bad_password).find("127.0.0.1:"), std::string::npos) << bad_password.body.dump();
  EXPECT_EQ(ErrorMessage(bad_password).find("wrong-password"), std::string::npos);
  auto bad_table = Post("/ingest/postgres/import", {{"dsn", pg_dsn_}, {"table", "no_such_table_here"}});
  EXPECT_EQ(bad_table.status, 400);
  EXPECT_NE(ErrorMessage(bad_table).find("no_such_table_here"), std::string::npos);
  auto refused = Post("/ingest/postgres/tables", {{"dsn", "postgresql://lh:" + secret_ + "@127.0.0.1:1/lhtest"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(ErrorMessage(refused).find("127.0.0.1:1"), std::string::npos);
  EXPECT_EQ(Post("/ingest/postgres/import", {{"dsn", my_dsn_}, {"table", "x"}}).status, 400);
  EXPECT_EQ(Post("/ingest/postgres/import", {{"dsn", pg_dsn_}}).status, 400);
  ExpectSecretNowhere();
}

TEST_F(ImportE2E, MysqlListImportAndFailures) {
  auto imported = Post("/ingest/mysql", {{"dsn", my_dsn_},
                                         {"query", "SELECT seq AS id, CONCAT('n', seq) AS name FROM seq_1_to_100"},
                                         {"name", "my_rows"}});
  ASSERT_EQ(imported.status, 201) << imported.body.dump();
  EXPECT_EQ(Sql(server_, "SELECT count(*), max(name) FROM my_rows").body["rows"][0], nlohmann::json::parse(R"([100, "n99"])"));
  auto listed = Post("/ingest/mysql/tables", {{"dsn", my_dsn_}});
  ASSERT_EQ(listed.status, 200) << listed.body.dump();
  std::string replaced = my_dsn_;
  replaced.replace(replaced.find(secret_), secret_.size(), "wrong-password");
  auto bad_password = Post("/ingest/mysql", {{"dsn", replaced}, {"table", "x"}});
  EXPECT_EQ(bad_password.status, 400);
  EXPECT_NE(ErrorMessage(bad_password).find("Access denied"), std::string::npos) << bad_password.body.dump();
  auto bad_query = Post("/ingest/mysql", {{"dsn", my_dsn_}, {"query", "SELEC nonsense"}, {"name", "x"}});
  EXPECT_EQ(bad_query.status, 400);
  ExpectSecretNowhere();
}

TEST_F(ImportE2E, EmptyPasswordWorksWithTrustAuth) {
  struct Case {
    const char* path;
    const char* env;
    const char* dataset;
  };
  for (const Case& c : {Case{"/ingest/postgres/import", "LAKEHOUSE_TEST_PG_TRUST_DSN", "trust_pg"},
                        Case{"/ingest/mysql", "LAKEHOUSE_TEST_MYSQL_TRUST_DSN", "trust_my"}}) {
    const char* path = c.path;
    const char* env = c.env;
    const char* dsn = std::getenv(env);
    ASSERT_NE(dsn, nullptr) << env;
    EXPECT_EQ(std::string(dsn).find(':', std::string(dsn).find("://") + 3) , std::string(dsn).rfind(':'))
        << "the trust DSN must carry no password";
    auto r = Post(path, {{"dsn", dsn}, {"query", "SELECT 7 AS seven"}, {"name", c.dataset}});
    EXPECT_EQ(r.status, 201) << path << ": " << r.body.dump();
  }
  EXPECT_EQ(Sql(server_, "SELECT (SELECT seven FROM trust_pg) + (SELECT seven FROM trust_my)").body["rows"][0][0], 14);
}

TEST_F(ImportE2E, CliImportShowsProgressAndNeverThePassword) {
  server_.Stop();
  std::string out;
  int rc = server_.RunCli({"import", "postgres", pg_dsn_, "--query",
                           "SELECT g AS id, g * 2 AS twice FROM generate_series(1, 1000) g", "--name", "cli_pg"},
                          &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("imported 1000 rows"), std::string::npos) << out;
  std::string failed;
  std::string replaced = pg_dsn_;
  replaced.replace(replaced.find(secret_), secret_.size(), "wrong-password");
  EXPECT_EQ(server_.RunCli({"import", "postgres", replaced, "--table", "x"}, &failed), 1);
  EXPECT_EQ(failed.find("wrong-password"), std::string::npos) << failed;
  EXPECT_EQ((out + failed).find(secret_), std::string::npos);
  std::string listing;
  EXPECT_EQ(server_.RunCli({"import", "postgres", pg_dsn_, "--list"}, &listing), 0) << listing;
  ExpectSecretNowhere();
}

}  // namespace lakehouse::testing

namespace lakehouse::testing {

TEST_F(ImportE2E, CliPasswordsNeedNotBeOnTheCommandLine) {
  server_.Stop();
  auto without_password = [&](std::string dsn) {
    dsn.replace(dsn.find(":" + secret_ + "@"), secret_.size() + 2, "@");
    return dsn;
  };
  std::string pg = without_password(pg_dsn_), my = without_password(my_dsn_);
  fs::path file = server_.dir() / "source.pw";
  WriteFile(file, secret_ + "\n");
  std::string out;
  EXPECT_EQ(server_.RunCli({"import", "postgres", pg, "--password-file", file.string(), "--query", "SELECT 1 AS x",
                            "--name", "from_file"}, &out), 0) << out;
  ::setenv("LAKEHOUSE_SOURCE_PASSWORD", secret_.c_str(), 1);
  EXPECT_EQ(server_.RunCli({"import", "mysql", my, "--query", "SELECT 1 AS x", "--name", "from_env"}, &out), 0) << out;
  ::unsetenv("LAKEHOUSE_SOURCE_PASSWORD");
  // libpq's own conventions still apply to Postgres.
  ::setenv("PGPASSWORD", secret_.c_str(), 1);
  EXPECT_EQ(server_.RunCli({"import", "postgres", pg, "--query", "SELECT 1 AS x", "--name", "from_pgpassword"}, &out), 0)
      << out;
  ::unsetenv("PGPASSWORD");
  // ?password= is read, not ignored.
  EXPECT_EQ(server_.RunCli({"import", "mysql", my + "?password=" + secret_, "--query", "SELECT 1 AS x", "--name",
                            "from_query"}, &out), 0) << out;
  EXPECT_EQ(server_.RunCli({"import", "mysql", my + "?ssl=1", "--table", "x"}, &out), 1);
  EXPECT_NE(out.find("not supported"), std::string::npos) << out;
  std::string help;
  server_.RunCli({"import", "--help"}, &help);
  EXPECT_NE(help.find("--password-file"), std::string::npos);
  EXPECT_NE(help.find("LAKEHOUSE_SOURCE_PASSWORD"), std::string::npos);
  fs::remove(file);
  ASSERT_TRUE(server_.Start());
  for (const char* name : {"from_file", "from_env", "from_pgpassword", "from_query"}) {
    EXPECT_EQ(Sql(server_, std::string("SELECT x FROM ") + name).body["rows"][0][0], 1) << name;
  }
  ExpectSecretNowhere();
}

}  // namespace lakehouse::testing
