#include "e2e_helpers.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

class CatalogE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    ASSERT_EQ(Upload(server_, "staff.csv",
                     "id,full_name,email,salary,diagnosis\n1,Ana Lima,ana@corp.com,5000,flu\n"
                     "2,Bo Chen,bo@corp.com,6000,none\n3,Cy Diaz,cy@corp.com,7000,cold\n")
                  .status,
              201);
  }
  Reply Patch(const std::string& path, const nlohmann::json& body) {
    return ToReply(server_.http().Patch(path.c_str(), body.dump(), "application/json"));
  }
  ServerProcess server_;
};

TEST_F(CatalogE2E, DescribesColumnsWithPii) {
  auto r = Get(server_, "/catalog/datasets/by-name/staff");
  ASSERT_EQ(r.status, 200);
  std::map<std::string, nlohmann::json> cols;
  for (const auto& c : r.body["columns"]) cols[c["name"]] = c;
  EXPECT_FALSE(cols["id"]["is_pii"].get<bool>());
  EXPECT_EQ(cols["full_name"]["pii_kind"], "pii");
  EXPECT_EQ(cols["email"]["pii_kind"], "pii");
  EXPECT_FALSE(cols["email"]["pii_value_reason"].get<std::string>().empty());
  EXPECT_EQ(cols["salary"]["pii_kind"], "financial");
  EXPECT_EQ(cols["diagnosis"]["pii_kind"], "phi");
  EXPECT_EQ(cols["diagnosis"]["sensitivity"], "restricted");
  EXPECT_EQ(r.body["sensitivity"], "restricted");
  EXPECT_EQ(r.body["row_count"], 3);
  EXPECT_FALSE(r.body["lineage"]["ingest_job_id"].get<std::string>().empty());
  EXPECT_TRUE(r.body["embedding_stale_since"].is_null());
}

TEST_F(CatalogE2E, PatchMetadata) {
  auto r = Patch("/catalog/datasets/by-name/staff/metadata",
                 {{"description", "HR extract"}, {"owner", "hr-team"}, {"sensitivity", "confidential"},
                  {"tags", {"hr", "eu"}}, {"expected_update_interval_s", 86400},
                  {"columns", {{"salary", {{"sensitivity", "restricted"}}}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto got = Get(server_, "/catalog/datasets/by-name/staff");
  EXPECT_EQ(got.body["owner"], "hr-team");
  EXPECT_EQ(got.body["description"], "HR extract");
  EXPECT_EQ(got.body["sensitivity"], "confidential");
  EXPECT_EQ(got.body["tags"], nlohmann::json({"hr", "eu"}));
  EXPECT_EQ(got.body["freshness"]["expected_update_interval_s"], 86400);
  EXPECT_FALSE(got.body["freshness"]["overdue"].get<bool>());
  for (const auto& c : got.body["columns"]) {
    if (c["name"] == "salary") EXPECT_EQ(c["sensitivity"], "restricted");
  }
  EXPECT_EQ(Get(server_, "/catalog/datasets?tag=hr").body["count"], 1);
  EXPECT_EQ(Get(server_, "/catalog/datasets?tag=finance").body["count"], 0);

  // Overrides survive a re-ingest.
  ASSERT_EQ(Upload(server_, "staff.csv", "id,full_name,email,salary,diagnosis\n4,Di,di@corp.com,1,x\n").status, 201);
  auto after = Get(server_, "/catalog/datasets/by-name/staff");
  EXPECT_EQ(after.body["sensitivity"], "confidential");
  EXPECT_EQ(after.body["owner"], "hr-team");

  EXPECT_EQ(Patch("/catalog/datasets/by-name/staff/metadata", {{"sensitivity", "secret"}}).status, 400);
  EXPECT_EQ(Patch("/catalog/datasets/by-name/staff/metadata", {{"owner", 5}}).status, 400);
  EXPECT_EQ(Patch("/catalog/datasets/by-name/staff/metadata", {{"colour", "red"}}).status, 400);
  EXPECT_EQ(Patch("/catalog/datasets/by-name/staff/metadata", {{"columns", {{"nope", "public"}}}}).status, 400);
  EXPECT_EQ(Patch("/catalog/datasets/by-name/ghost/metadata", {{"owner", "x"}}).status, 404);
  auto bad_json = ToReply(server_.http().Patch("/catalog/datasets/by-name/staff/metadata", "{oops", "application/json"));
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/staff").body["owner"], "hr-team");
}

TEST_F(CatalogE2E, OverdueDatasetsAreReported) {
  ASSERT_EQ(Patch("/catalog/datasets/by-name/staff/metadata", {{"expected_update_interval_s", 1}}).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto overdue = Get(server_, "/catalog/datasets?overdue=true");
  ASSERT_EQ(overdue.body["count"], 1);
  EXPECT_TRUE(overdue.body["datasets"][0]["freshness"]["overdue"].get<bool>());
  std::string out;
  ASSERT_EQ(server_.RunCli({"catalog", "list"}, &out), 0);
  EXPECT_NE(out.find("OVERDUE"), std::string::npos) << out;
}

TEST_F(CatalogE2E, DeleteRemovesFilesAndView) {
  ASSERT_TRUE(fs::exists(server_.data_dir() / "datasets/staff"));
  auto del = ToReply(server_.http().Delete("/catalog/datasets/by-name/staff"));
  ASSERT_EQ(del.status, 200) << del.body.dump();
  EXPECT_EQ(del.body["files_removed"], 1);
  EXPECT_FALSE(fs::exists(server_.data_dir() / "datasets/staff"));
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/staff").status, 404);
  auto q = Sql(server_, "SELECT * FROM staff");
  EXPECT_EQ(q.status, 400);
  EXPECT_NE(ErrorMessage(q).find("staff"), std::string::npos);
  EXPECT_EQ(ToReply(server_.http().Delete("/catalog/datasets/by-name/staff")).status, 404);
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/bad..name").status, 400);
}

TEST_F(CatalogE2E, CliCatalogCommands) {
  std::string out;
  ASSERT_EQ(server_.RunCli({"catalog", "set", "staff", "--owner", "cli-owner", "--column-sensitivity", "id=public"}, &out), 0) << out;
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/staff").body["owner"], "cli-owner");
  out.clear();
  ASSERT_EQ(server_.RunCli({"catalog", "show", "staff"}, &out), 0);
  EXPECT_NE(out.find("\"cli-owner\""), std::string::npos);
  out.clear();
  EXPECT_EQ(server_.RunCli({"catalog", "set", "staff", "--sensitivity", "secret"}, &out), 1);
  EXPECT_NE(out.find("public, internal, confidential, restricted"), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(server_.RunCli({"catalog", "delete", "staff"}, &out), 0) << out;
  EXPECT_EQ(Get(server_, "/catalog/datasets").body["count"], 0);
}

}  // namespace lakehouse::testing
