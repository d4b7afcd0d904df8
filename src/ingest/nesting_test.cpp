#include "ingest/nesting.h"

#include <gtest/gtest.h>

#include <string>

namespace lakehouse::ingest {

TEST(JsonDepthTest, FindsTheDeepestPointOutsideStrings) {
  JsonDepthScanner s(64);
  EXPECT_TRUE(s.Feed(R"({"a": [1, {"b": "[[[[{{{{\"]]]"}], "c": {}})"));
  EXPECT_EQ(s.max_depth(), 3);
  JsonDepthScanner ndjson(64);
  EXPECT_TRUE(ndjson.Feed("{\"a\":[1]}\n{\"b\":2}\n"));
  EXPECT_EQ(ndjson.max_depth(), 2);
}

TEST(JsonDepthTest, StopsAtTheLimitAndSaysWhere) {
  JsonDepthScanner s(64);
  EXPECT_TRUE(s.Feed("{\"a\": 1}\n{\"b\": "));
  EXPECT_FALSE(s.Feed(std::string(10000, '[') + std::string(10000, ']')));
  EXPECT_TRUE(s.exceeded());
  EXPECT_EQ(s.line(), 2);
  EXPECT_FALSE(s.Feed("{}"));  // stays refused
  // Exactly at the limit is fine; one more is not. Depth spans Feed calls.
  JsonDepthScanner at(3);
  EXPECT_TRUE(at.Feed("[["));
  EXPECT_TRUE(at.Feed("[]]]"));
  EXPECT_FALSE(at.Feed("[[[["));
}

TEST(JsonDepthTest, UnbalancedAndEscapedInputDoesNotConfuseIt) {
  JsonDepthScanner s(4);
  EXPECT_TRUE(s.Feed("]]]]]]]]}}}}"));  // closers without openers do not go negative
  EXPECT_TRUE(s.Feed("[[[["));
  EXPECT_FALSE(s.Feed("["));
  JsonDepthScanner escaped(2);
  EXPECT_TRUE(escaped.Feed(R"(["\\", "\"[[[[[", "x"])"));
}

TEST(TypeDepthTest, CountsContainersNotParameters) {
  EXPECT_EQ(TypeNestingDepth("INTEGER"), 0);
  EXPECT_EQ(TypeNestingDepth("DECIMAL(18,2)"), 0);
  EXPECT_EQ(TypeNestingDepth("TIMESTAMP WITH TIME ZONE"), 0);
  EXPECT_EQ(TypeNestingDepth("INTEGER[]"), 1);
  EXPECT_EQ(TypeNestingDepth("INTEGER[3][]"), 2);
  EXPECT_EQ(TypeNestingDepth("STRUCT(a INTEGER)"), 1);
  EXPECT_EQ(TypeNestingDepth("STRUCT(a INTEGER[])[]"), 3);
  EXPECT_EQ(TypeNestingDepth("STRUCT(a INTEGER, b STRUCT(c VARCHAR[]), d DOUBLE)"), 3);
  EXPECT_EQ(TypeNestingDepth("MAP(VARCHAR, INTEGER[])"), 2);
  EXPECT_EQ(TypeNestingDepth("UNION(n INTEGER, s VARCHAR)"), 1);
  EXPECT_EQ(TypeNestingDepth(R"(STRUCT("a(b[" VARCHAR, "x""y" INTEGER))"), 1);
  EXPECT_EQ(TypeNestingDepth("STRUCT(e ENUM('a)', 'b['))"), 1);
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "STRUCT(a ";
  deep += "INTEGER" + std::string(20000, ')');
  EXPECT_EQ(TypeNestingDepth(deep), 20000);  // iterative: no stack to exhaust
  EXPECT_EQ(TypeNestingDepth("JSON" + std::string(200, '[') ), 1);  // malformed: no crash
}

TEST(TypeDepthTest, RefusesOnlyPastTheLimit) {
  std::string ok = "BIGINT", deep = "BIGINT";
  for (int i = 0; i < kMaxTypeDepth; ++i) ok += "[]";
  deep = ok + "[]";
  EXPECT_TRUE(CheckTypeDepth("c", ok).ok());
  Status refused = CheckTypeDepth("c", deep);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "column 'c' nests 17 levels deep; lakehouse stores columns nested up to 16 "
                               "levels (store deeper values as JSON text)");
}

TEST(ParquetSchemaDepthTest, WalksTheFlatSchema) {
  EXPECT_EQ(ParquetSchemaDepth({}), 0);
  EXPECT_EQ(ParquetSchemaDepth({2, 0, 0}), 1);                // root with two leaves
  EXPECT_EQ(ParquetSchemaDepth({2, 1, 1, 0, 0}), 3);          // a LIST column and a leaf
  EXPECT_EQ(ParquetSchemaDepth({1, 1, 1, 1, 1, 1, 1, 0}), 7);  // a chain
  EXPECT_EQ(ParquetSchemaDepth({5, 0}), 1);                    // a truncated footer: no crash
  EXPECT_EQ(ParquetSchemaDepth({-3, 0, 0}), 0);
}

}  // namespace lakehouse::ingest
