// Splits text into chunks for embedding: at most `size` bytes each, with
// `overlap` bytes carried over from the previous chunk so a sentence cut at
// a boundary is still seen whole once. Cuts prefer, in order, a paragraph
// break, a sentence end, then any white space, within the last third of the
// window; a cut never falls inside a UTF-8 sequence. Pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lakehouse::vector {

struct Chunk {
  std::string doc_id;
  int index = 0;        // 0-based within the document
  size_t begin = 0;     // byte offsets into the document text
  size_t end = 0;
  std::string text;     // trimmed of surrounding white space
};

struct ChunkOptions {
  size_t size = 1000;
  size_t overlap = 150;
  // PII spans inside the text (e-mail addresses, phone and card numbers…,
  // catalog/pii_spans) are replaced by their kind ("[EMAIL]") before a chunk
  // is embedded or stored: the index never holds them, whoever asks.
  bool redact_pii_spans = false;
};

// The overlap used when only a size is given: 15%, as the default 150/1000.
inline size_t DefaultOverlap(size_t size) { return size * 15 / 100; }

Status ValidateChunkOptions(const ChunkOptions& options);  // size >= 16, overlap < size / 2

std::vector<Chunk> ChunkText(const std::string& doc_id, std::string_view text, const ChunkOptions& options);

}  // namespace lakehouse::vector
