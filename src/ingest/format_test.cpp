#include <gtest/gtest.h>

#include "ingest/documents.h"
#include "ingest/format.h"

namespace lakehouse::ingest {

Format Detect(std::string_view head, std::string_view name) {
  auto f = DetectFormatFromPrefix(head, name, true);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : Format::kText;
}

TEST(FormatTest, DetectsFromContentNotName) {
  EXPECT_EQ(Detect("%PDF-1.4\n...", "report.csv"), Format::kPdf);
  EXPECT_EQ(Detect(std::string("PAR1\0\0", 6), "x.bin"), Format::kParquet);
  EXPECT_EQ(Detect("  [{\"a\":1}]", "data"), Format::kJsonArray);
  EXPECT_EQ(Detect("{\"a\":1}\n{\"a\":2}\n", "events.log"), Format::kNdjson);
  EXPECT_EQ(Detect("id,name\n1,a\n2,b\n", "export.dat"), Format::kCsv);
  EXPECT_EQ(Detect("id\tname\n1\ta\n2\tb\n", "export"), Format::kCsv);
  EXPECT_EQ(Detect("Dear reader,\n\nThis is a letter. It has words.\n", "letter"), Format::kText);
  EXPECT_EQ(Detect("a,b\n", "notes.txt"), Format::kText);
  EXPECT_EQ(Detect("\xEF\xBB\xBFid,name\n1,x\n", "bom.csv"), Format::kCsv);
}

TEST(FormatTest, RejectsEmptyAndBinary) {
  EXPECT_EQ(DetectFormatFromPrefix("", "x.csv", true).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DetectFormatFromPrefix(" \n\n ", "x.csv", true).status().code(), StatusCode::kInvalidArgument);
  auto bin = DetectFormatFromPrefix(std::string("\x7f" "ELF\0\0\1", 7), "a.out", true);
  ASSERT_FALSE(bin.ok());
  EXPECT_NE(bin.status().message().find("binary"), std::string::npos);
}

TEST(FormatTest, ParsesFormatNames) {
  EXPECT_EQ(*ParseFormat("tsv"), Format::kCsv);
  EXPECT_EQ(*ParseFormat("pdf"), Format::kPdf);
  EXPECT_FALSE(ParseFormat("xlsx").ok());
}

TEST(DocumentsTest, SplitsParagraphsOnBlankLines) {
  auto p = SplitParagraphs("First line\ncontinues.\n\n\n  \nSecond.\r\n\r\nThird\n");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], "First line\ncontinues.");
  EXPECT_EQ(p[1], "Second.");
  EXPECT_EQ(p[2], "Third");
  EXPECT_TRUE(SplitParagraphs("\n \n").empty());
}

}  // namespace lakehouse::ingest
