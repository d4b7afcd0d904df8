#include "catalog/schema_diff.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lakehouse::catalog {

std::vector<ColumnMeta> Cols(std::initializer_list<std::pair<const char*, const char*>> cols) {
  std::vector<ColumnMeta> out;
  for (const auto& [n, t] : cols) out.push_back({n, t});
  return out;
}

TEST(SchemaDiffTest, AddedRemovedAndTypeChanged) {
  auto d = DiffSchemas(Cols({{"id", "BIGINT"}, {"price", "BIGINT"}, {"legacy_flag", "BOOLEAN"}}),
                       Cols({{"id", "BIGINT"}, {"price", "DOUBLE"}, {"region", "VARCHAR"}}), {}, {});
  std::map<std::string, std::string> kinds;
  for (const auto& c : d.changes) kinds[c.column] = c.kind;
  EXPECT_EQ(kinds["price"], "type_changed");
  EXPECT_EQ(kinds["legacy_flag"], "removed");
  EXPECT_EQ(kinds["region"], "added");
  bool cast = false, drop = false;
  for (const auto& r : d.rules) {
    cast |= r.kind == "cast" && r.to[0] == "price" && r.expression == "CAST(\"price\" AS DOUBLE)";
    drop |= r.kind == "drop" && r.from[0] == "legacy_flag";
  }
  EXPECT_TRUE(cast && drop);
  EXPECT_TRUE(DiffSchemas(Cols({{"a", "INTEGER"}}), Cols({{"a", "INTEGER"}}), {}, {}).empty());
}

TEST(SchemaDiffTest, RenameFoundByNameAndConfirmedByValues) {
  auto before = Cols({{"id", "BIGINT"}, {"cust_email", "VARCHAR"}});
  auto after = Cols({{"id", "BIGINT"}, {"customer_email", "VARCHAR"}});
  ColumnSamples old_values{{"cust_email", {"a@x.com", "b@y.com", "c@z.com"}}};
  ColumnSamples new_values{{"customer_email", {"a@x.com", "b@y.com", "d@w.com"}}};
  auto d = DiffSchemas(before, after, old_values, new_values);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].kind, "renamed");
  EXPECT_EQ(d.changes[0].old_column, "cust_email");
  EXPECT_GT(d.changes[0].confidence, 0.5);
  EXPECT_EQ(d.rules[0].kind, "map");
  // The same names but unrelated values: not a rename.
  ColumnSamples other{{"customer_email", {"1", "2", "3"}}};
  auto unrelated = DiffSchemas(Cols({{"alpha", "VARCHAR"}}), Cols({{"omega", "VARCHAR"}}),
                               {{"alpha", {"x", "y"}}}, {{"omega", {"1", "2"}}});
  for (const auto& c : unrelated.changes) EXPECT_NE(c.kind, "renamed");
}

TEST(SchemaDiffTest, ConcatAndSplit) {
  auto concat = DiffSchemas(Cols({{"first_name", "VARCHAR"}, {"last_name", "VARCHAR"}}), Cols({{"full_name", "VARCHAR"}}),
                            {{"first_name", {"Ana"}}, {"last_name", {"Lima"}}}, {{"full_name", {"Ana Lima"}}});
  bool found = false;
  for (const auto& r : concat.rules) {
    if (r.kind == "concat") {
      found = true;
      EXPECT_EQ(r.to, std::vector<std::string>{"full_name"});
      EXPECT_EQ(r.from.size(), 2u);
    }
  }
  EXPECT_TRUE(found) << SchemaDiffToJson(concat).dump();
  auto split = DiffSchemas(Cols({{"full_name", "VARCHAR"}}), Cols({{"first_name", "VARCHAR"}, {"last_name", "VARCHAR"}}),
                           {{"full_name", {"Ana Lima"}}}, {{"first_name", {"Ana"}}, {"last_name", {"Lima"}}});
  found = false;
  for (const auto& r : split.rules) found |= r.kind == "split" && r.to.size() == 2;
  EXPECT_TRUE(found) << SchemaDiffToJson(split).dump();
}

TEST(SchemaDiffTest, LlmAnswersAreValidatedNeverTrusted) {
  auto before = Cols({{"fname", "VARCHAR"}, {"lname", "VARCHAR"}});
  auto after = Cols({{"name", "VARCHAR"}});
  auto d = DiffSchemas(before, after, {}, {});
  std::string prompt = BuildMigrationPrompt("people", before, after, d);
  EXPECT_NE(prompt.find("fname VARCHAR"), std::string::npos);
  EXPECT_NE(prompt.find("\"rules\""), std::string::npos);
  auto ok = ParseMigrationRules(
      R"({"rules":[{"kind":"concat","from":["fname","lname"],"to":["name"],"expression":"fname || ' ' || lname","confidence":0.8}]})",
      before, after);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[0].kind, "concat");
  for (const char* bad : {"not json", "{}", R"({"rules":[{"kind":"explode","from":["fname"],"to":["name"],"confidence":1}]})",
                          R"({"rules":[{"kind":"map","from":["ghost"],"to":["name"],"confidence":1}]})",
                          R"({"rules":[{"kind":"map","from":["fname"],"to":["name"],"confidence":7}]})",
                          R"({"rules":[{"kind":"map","from":["fname"],"to":["name"]}]})"}) {
    EXPECT_EQ(ParseMigrationRules(bad, before, after).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(SchemaDiffTest, RoundTripsThroughJson) {
  auto d = DiffSchemas(Cols({{"a", "INTEGER"}}), Cols({{"a", "BIGINT"}, {"b", "VARCHAR"}}), {}, {});
  auto back = SchemaDiffFromJson(SchemaDiffToJson(d));
  EXPECT_EQ(SchemaDiffToJson(back), SchemaDiffToJson(d));
}

}  // namespace lakehouse::catalog
