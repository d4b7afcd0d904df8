#include "vector/chunker.h"

#include <gtest/gtest.h>

namespace lakehouse::vector {

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(ChunkerTest, ShortTextIsOneChunk) {
  auto c = ChunkText("d1", "  Hello world.  ", {100, 10});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].text, "Hello world.");
  EXPECT_EQ(c[0].doc_id, "d1");
  EXPECT_EQ(c[0].begin, 2u);
  EXPECT_TRUE(ChunkText("d", "   ", {100, 10}).empty());
}

TEST(ChunkerTest, PrefersParagraphsThenSentences) {
  std::string text = "First paragraph sentence one. Sentence two is here.\n\nSecond paragraph starts here and goes on. "
                     "It has more words than fit.";
  auto c = ChunkText("d", text, {70, 10});
  ASSERT_GE(c.size(), 2u);
  EXPECT_EQ(c[0].text, "First paragraph sentence one. Sentence two is here.");
  auto s = ChunkText("d", "One sentence here. Another sentence follows and then more text comes after it.", {25, 5});
  EXPECT_EQ(s[0].text, "One sentence here.");
}

TEST(ChunkerTest, OverlapCoversBoundariesAndOffsetsMatch) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "word" + std::to_string(i) + " ";
  auto c = ChunkText("d", text, {100, 30});
  ASSERT_GT(c.size(), 5u);
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].index, static_cast<int>(i));
    EXPECT_LE(c[i].text.size(), 100u);
    EXPECT_EQ(text.substr(c[i].begin, c[i].end - c[i].begin), c[i].text);
    if (i > 0) EXPECT_LT(c[i].begin, c[i - 1].end);  // overlapping
  }
  EXPECT_EQ(c.back().end, text.size() - 1);  // every word is covered
}

TEST(ChunkerTest, NeverSplitsUtf8) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "日本語テキスト🌍é";  // no spaces at all
  auto c = ChunkText("d", text, {50, 10});
  ASSERT_GT(c.size(), 10u);
  for (const auto& chunk : c) EXPECT_TRUE(ValidUtf8(chunk.text)) << chunk.index;
}

TEST(ChunkerTest, ValidatesOptions) {
  EXPECT_FALSE(ValidateChunkOptions({8, 0}).ok());
  EXPECT_FALSE(ValidateChunkOptions({100, 50}).ok());
  EXPECT_TRUE(ValidateChunkOptions({100, 49}).ok());
}

}  // namespace lakehouse::vector
