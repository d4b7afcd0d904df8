#include <gtest/gtest.h>

#include "ingest/reader_options.h"

namespace lakehouse::ingest {

TEST(ReaderOptionsTest, ReadsEveryOptionAndRoundTripsThroughItsCanonicalForm) {
  std::map<std::string, std::string> given = {
      {"delimiter", "tab"},       {"quote", "'"},          {"escape", "\\"},
      {"header", "no"},           {"skip", "2"},            {"comment", "#"},
      {"null", "NA"},             {"null_padding", "true"}, {"encoding", "Windows-1252"},
      {"decimal_separator", ","}, {"date_format", "%d/%m/%Y"}, {"timestamp_format", "%d/%m/%Y %H:%M"},
      {"types", "id=BIGINT, amount=DECIMAL(10,2),zip=VARCHAR"}, {"records", "data.items"},
      {"records_by", "separator:%"}};
  auto o = ReaderOptionsFromMap(given, true);
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(*o->delimiter, '\t');
  EXPECT_EQ(*o->header, false);
  EXPECT_EQ(*o->skip, 2);
  EXPECT_EQ(*o->encoding, Encoding::kCp1252);
  ASSERT_EQ(o->types.size(), 3u);
  EXPECT_EQ(o->types[1], (std::pair<std::string, std::string>{"amount", "DECIMAL(10,2)"}));
  EXPECT_EQ(o->records, (std::vector<std::string>{"data", "items"}));
  EXPECT_EQ(o->text_records, TextRecords::kSeparator);
  EXPECT_EQ(o->text_separator, "%");
  auto again = ReaderOptionsFromMap(o->ToMap(), true);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->ToMap(), o->ToMap());
  EXPECT_EQ(o->ToMap().at("encoding"), "cp1252");
  EXPECT_TRUE(ReaderOptions{}.empty());
}

TEST(ReaderOptionsTest, BadValuesAreRefusedNamingTheOption) {
  auto bad = [](const std::string& key, const std::string& value) {
    auto o = ReaderOptionsFromMap({{key, value}}, true);
    EXPECT_FALSE(o.ok()) << key << "=" << value;
    return o.ok() ? std::string() : o.status().message();
  };
  EXPECT_EQ(bad("delimiter", ",,"), "delimiter must be one character (or \"tab\"), got ',,'");
  EXPECT_EQ(bad("delimiter", "\xc3\xa9"),
            "delimiter must be a one-byte (ASCII) character such as , ; | or \"tab\"; '\xc3\xa9' takes 2 bytes in UTF-8");
  EXPECT_EQ(bad("null", "\xff\xfe"), "the value of null is not valid UTF-8 text");
  EXPECT_EQ(bad("date_format", "%d\xc3"), "the value of date_format is not valid UTF-8 text");
  EXPECT_EQ(bad("skip", "-1"), "skip must be a number of lines from 0 to 1000000, got '-1'");
  EXPECT_EQ(bad("header", "maybe"), "header must be true or false, got 'maybe'");
  EXPECT_EQ(bad("encoding", "ebcdic"), "encoding 'ebcdic' is not supported: use utf-8, utf-16, latin-1 or cp1252");
  EXPECT_NE(bad("types", "id"), "");
  EXPECT_NE(bad("types", "id=INT); DROP TABLE x; --"), "");
  EXPECT_NE(bad("records", "a..b"), "");
  EXPECT_NE(bad("records_by", "sentence"), "");
  EXPECT_NE(bad("null", std::string("a\0b", 3)), "");
  EXPECT_NE(bad("colour", "red").find("unknown reader option 'colour' (known: delimiter,"), std::string::npos);
  // A form carries other fields too: not strict, unknown names are not options.
  EXPECT_TRUE(ReaderOptionsFromMap({{"name", "orders"}}, false).ok());
  EXPECT_FALSE(ReaderOptionsFromMap({{"delimiter", ";"}, {"decimal_separator", ";"}}, true).ok());
}

TEST(ReaderOptionsTest, ValuesReachTheReaderOnlyAsQuotedLiterals) {
  auto o = ReaderOptionsFromMap({{"null", "x', header = true, a='"}, {"types", "we'ird=VARCHAR"}}, true);
  ASSERT_TRUE(o.ok());
  std::string sql = CsvReaderSql("/d/f.csv", *o, ',', false, "");
  EXPECT_NE(sql.find("nullstr = 'x'', header = true, a='''"), std::string::npos) << sql;
  EXPECT_NE(sql.find("types = {'we''ird': 'VARCHAR'}"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("null_padding"), std::string::npos);
  EXPECT_NE(CsvReaderSql("/d/f.csv", {}, 0, true, "gzip").find("null_padding = true, compression = 'gzip'"),
            std::string::npos);
  ReaderOptions tsv;
  ApplyFormatName("tsv", tsv);
  EXPECT_EQ(*tsv.delimiter, '\t');
  auto records = ReaderOptionsFromMap({{"records", "3166-1"}}, true);
  EXPECT_NE(JsonReaderSql("/d/a.json", *records, "unstructured", 12, "").find("unnest(\"3166-1\", max_depth := 2)"),
            std::string::npos);
}

}  // namespace lakehouse::ingest
