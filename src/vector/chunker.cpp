#include "vector/chunker.h"

#include <cctype>

namespace lakehouse::vector {

namespace {

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

// Moves `pos` back to the start of the UTF-8 sequence it is inside.
size_t AlignToCodePoint(std::string_view text, size_t pos) {
  while (pos > 0 && pos < text.size() && IsContinuationByte(static_cast<unsigned char>(text[pos]))) --pos;
  return pos;
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// The best place to end a chunk in [min_end, max_end): after a paragraph
// break, else after a sentence end, else at white space, else max_end.
size_t ChooseEnd(std::string_view text, size_t min_end, size_t max_end) {
  for (size_t i = max_end; i > min_end; --i) {
    if (i >= 2 && text[i - 1] == '\n' && text[i - 2] == '\n') return i;
  }
  for (size_t i = max_end; i > min_end; --i) {
    char prev = text[i - 1];
    if ((prev == '.' || prev == '!' || prev == '?') && i < text.size() && IsSpace(text[i])) return i;
  }
  for (size_t i = max_end; i > min_end; --i) {
    if (IsSpace(text[i - 1])) return i;
  }
  return AlignToCodePoint(text, max_end);
}

}  // namespace

Status ValidateChunkOptions(const ChunkOptions& options) {
  if (options.size < 16) return InvalidArgument("chunk size must be at least 16 characters");
  if (options.overlap * 2 >= options.size) return InvalidArgument("chunk overlap must be less than half the chunk size");
  return Status::Ok();
}

std::vector<Chunk> ChunkText(const std::string& doc_id, std::string_view text, const ChunkOptions& options) {
  std::vector<Chunk> chunks;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.size();
    if (text.size() - start > options.size) {
      size_t max_end = AlignToCodePoint(text, start + options.size);
      size_t min_end = start + options.size * 2 / 3;
      end = ChooseEnd(text, min_end, max_end);
      if (end <= start) end = AlignToCodePoint(text, start + options.size);
      if (end <= start) end = start + options.size;  // a pathological sequence: still progress
    }
    size_t b = start, e = end;
    while (b < e && IsSpace(text[b])) ++b;
    while (e > b && IsSpace(text[e - 1])) --e;
    if (e > b) chunks.push_back({doc_id, static_cast<int>(chunks.size()), b, e, std::string(text.substr(b, e - b))});
    if (end >= text.size()) break;
    size_t next = end > options.overlap ? AlignToCodePoint(text, end - options.overlap) : end;
    // Start the overlap at a word boundary so chunks do not begin mid-word.
    while (next > 0 && next < end && !IsSpace(text[next - 1])) ++next;
    start = next > start ? next : end;
  }
  return chunks;
}

}  // namespace lakehouse::vector
