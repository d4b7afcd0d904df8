#include <thread>

#include "e2e_helpers.h"
#include "fake_ollama.h"

namespace lakehouse::testing {

class SchemaE2E : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }
  Reply Patch(const std::string& dataset, const nlohmann::json& body) {
    return ToReply(server_.http().Patch(("/catalog/datasets/by-name/" + dataset + "/metadata").c_str(), body.dump(),
                                        "application/json"));
  }
  ServerProcess server_;
};

TEST_F(SchemaE2E, ReplaceRecordsDiffAndPiiFollowsRename) {
  ASSERT_EQ(Upload(server_, "c.csv", "id,cust_email,legacy\n1,a@x.com,1\n2,b@y.com,0\n3,c@z.com,1\n",
                   {{"name", "customers"}}).status, 201);
  ASSERT_EQ(Patch("customers", {{"columns", {{"cust_email", "restricted"}}}}).status, 200);
  auto r = Upload(server_, "c2.csv", "id,customer_email,region\n1,a@x.com,EU\n2,b@y.com,US\n4,d@w.com,EU\n",
                  {{"name", "customers"}, {"mode", "replace"}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  std::map<std::string, nlohmann::json> changes;
  for (const auto& c : r.body["schema_diff"]["changes"]) changes[c["kind"].get<std::string>() + ":" + c["column"].get<std::string>()] = c;
  ASSERT_TRUE(changes.count("renamed:customer_email")) << r.body["schema_diff"].dump();
  EXPECT_EQ(changes["renamed:customer_email"]["old_column"], "cust_email");
  EXPECT_GT(changes["renamed:customer_email"]["confidence"].get<double>(), 0.5);
  EXPECT_TRUE(changes.count("removed:legacy"));
  EXPECT_TRUE(changes.count("added:region"));
  bool map_rule = false;
  for (const auto& rule : r.body["schema_diff"]["rules"]) map_rule |= rule["kind"] == "map";
  EXPECT_TRUE(map_rule);
  auto ds = Get(server_, "/catalog/datasets/by-name/customers");
  for (const auto& c : ds.body["columns"]) {
    if (c["name"] != "customer_email") continue;
    EXPECT_EQ(c["renamed_from"], "cust_email");
    EXPECT_EQ(c["sensitivity"], "restricted");  // the override followed the rename
    EXPECT_TRUE(c["is_pii"].get<bool>());
  }
  auto versions = Get(server_, "/catalog/datasets/by-name/customers/versions");
  ASSERT_EQ(versions.status, 200);
  ASSERT_EQ(versions.body["versions"].size(), 2u);
  EXPECT_TRUE(versions.body["versions"][0]["schema_diff"].is_null());
  EXPECT_FALSE(versions.body["versions"][1]["schema_diff"]["changes"].empty());
  EXPECT_EQ(versions.body["versions"][0]["view"], "customers@v1");
  EXPECT_EQ(Sql(server_, "SELECT count(*) FROM \"customers@v1\" WHERE legacy = 1").body["rows"][0][0], 2);
}

TEST_F(SchemaE2E, StrictRefusesAndNewDatasetBranches) {
  ASSERT_EQ(Upload(server_, "s.csv", "id,v\n1,2\n", {{"name", "strict_ds"}}).status, 201);
  ASSERT_EQ(Patch("strict_ds", {{"schema_policy", "strict"}}).status, 200);
  auto refused = Upload(server_, "s2.csv", "id,w\n1,2\n", {{"name", "strict_ds"}, {"mode", "replace"}});
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(ErrorMessage(refused).find("strict"), std::string::npos) << refused.body.dump();
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/strict_ds").body["versions"].size(), 1u);
  EXPECT_EQ(Upload(server_, "s3.csv", "id,v\n5,6\n", {{"name", "strict_ds"}}).status, 201);  // same schema is fine

  ASSERT_EQ(Upload(server_, "b.csv", "id,v\n1,2\n", {{"name", "branchy"}}).status, 201);
  ASSERT_EQ(Patch("branchy", {{"schema_policy", "new_dataset"}}).status, 200);
  auto branched = Upload(server_, "b2.csv", "id,v,extra\n1,2,3\n", {{"name", "branchy"}, {"mode", "replace"}});
  ASSERT_EQ(branched.status, 201) << branched.body.dump();
  EXPECT_EQ(branched.body["dataset"], "branchy_v2");
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/branchy").body["versions"].size(), 1u);
  EXPECT_EQ(Patch("branchy", {{"schema_policy", "yolo"}}).status, 400);
}

}  // namespace lakehouse::testing

namespace lakehouse::testing {



TEST(SchemaLlmE2E, LlmRulesAreValidatedBeforeTheyAreKept) {
  FakeOllama ollama;
  ServerProcess server("[llm]\nollama_url = \"" + ollama.url() + "\"\nmodel = \"tiny\"\n");
  ASSERT_TRUE(server.Start()) << server.log();
  ASSERT_EQ(Upload(server, "p.csv", "id,fname,lname\n1,Ana,Lima\n", {{"name", "people"}}).status, 201);
  ollama.answer = R"({"rules":[{"kind":"concat","from":["fname","lname"],"to":["display"],"expression":"fname || ' ' || lname","confidence":0.7,"reason":"joined"}]})";
  auto good = Upload(server, "p2.csv", "id,display\n1,Ana Lima\n", {{"name", "people"}, {"mode", "replace"}});
  ASSERT_EQ(good.status, 201) << good.body.dump();
  ASSERT_EQ(ollama.prompts.size(), 1u);
  EXPECT_NE(ollama.prompts[0].find("fname VARCHAR"), std::string::npos);
  EXPECT_EQ(good.body["schema_diff"]["llm_rules"].size(), 1u) << good.body["schema_diff"].dump();
  EXPECT_NE(good.body["schema_diff"]["llm_status"].get<std::string>().find("validated"), std::string::npos);

  ollama.answer = R"({"rules":[{"kind":"map","from":["no_such_column"],"to":["label"],"confidence":0.9}]})";
  auto bad = Upload(server, "p3.csv", "id,label\n1,x\n", {{"name", "people"}, {"mode", "replace"}});
  ASSERT_EQ(bad.status, 201) << bad.body.dump();
  EXPECT_TRUE(bad.body["schema_diff"]["llm_rules"].empty());
  EXPECT_NE(bad.body["schema_diff"]["llm_status"].get<std::string>().find("invalid answer"), std::string::npos)
      << bad.body["schema_diff"].dump();
}

}  // namespace lakehouse::testing
