#include "common/names.h"

#include <gtest/gtest.h>

namespace lakehouse {

TEST(NamesTest, AcceptsIdentifiers) {
  EXPECT_TRUE(ValidateName("sales_2024", "dataset name").ok());
  EXPECT_TRUE(ValidateName("_x", "dataset name").ok());
  EXPECT_TRUE(ValidateName(std::string(128, 'a'), "dataset name").ok());
}

TEST(NamesTest, RejectsPathsAndSqlAndEmpty) {
  for (const char* bad : {"", "../etc", "a/b", "a b", "1abc", "x;DROP TABLE y", "a\"b", "é"}) {
    Status s = ValidateName(bad, "bucket name");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("bucket name"), std::string::npos);
  }
  EXPECT_FALSE(ValidateName(std::string(129, 'a'), "dataset name").ok());
}

TEST(NamesTest, DerivesNamesFromFiles) {
  EXPECT_EQ(NameFromFileName("/tmp/Sales Report 2024.csv"), "sales_report_2024");
  EXPECT_EQ(NameFromFileName("orders.ndjson.gz"), "orders");
  EXPECT_EQ(NameFromFileName("2024-data.csv"), "d_2024_data");
  EXPECT_EQ(NameFromFileName("...."), "dataset");
  // Only the last extension goes: names that differ before it never collide.
  EXPECT_EQ(NameFromFileName("report.2023.csv"), "report_2023");
  EXPECT_EQ(NameFromFileName("report.2024.csv"), "report_2024");
  EXPECT_EQ(NameFromFileName("crc-doc.1.0.pdf"), "crc_doc_1_0");
  EXPECT_EQ(NameFromFileName("zone1970.tab"), "zone1970");
  EXPECT_EQ(NameFromFileName("data.csv.GZ"), "data");
  EXPECT_EQ(NameFromFileName("events.2024.ndjson.zst"), "events_2024");
  EXPECT_EQ(NameFromFileName("README"), "readme");
  EXPECT_EQ(NameFromFileName(".hidden"), "hidden");
  EXPECT_TRUE(ValidateName(NameFromFileName("ünïcode näme.txt"), "n").ok());
}

TEST(NamesTest, PathTextRefusesNulAndControlCharacters) {
  EXPECT_TRUE(ValidatePathText("/mnt/cold/läkehouse data", "bucket path").ok());
  Status nul = ValidatePathText(std::string("/tmp/a\0b", 8), "bucket path");
  EXPECT_EQ(nul.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(nul.message(), "bucket path contains a control character (byte 0 at offset 6); use a plain path");
  EXPECT_FALSE(ValidatePathText("/tmp/a\nb", "p").ok());
  EXPECT_FALSE(ValidatePathText("/tmp/a\x7f", "p").ok());
  EXPECT_FALSE(ValidatePathText("", "p").ok());
  EXPECT_FALSE(ValidatePathText(std::string(5000, 'a'), "p").ok());
}

TEST(NamesTest, QuotesIdentifiersAndLiterals) {
  EXPECT_EQ(QuoteIdent("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
}

}  // namespace lakehouse
