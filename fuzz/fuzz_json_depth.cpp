// The JSON nesting pre-scan (fed in pieces, as files are read), DuckDB type
// names, and Parquet schema trees (the input read as num_children values).
#include <cstring>
#include <string_view>
#include <vector>

#include "ingest/nesting.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakehouse::ingest;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  JsonDepthScanner whole(64), pieces(8);
  whole.Feed(bytes);
  for (size_t at = 0; at < bytes.size(); at += 7) pieces.Feed(bytes.substr(at, 7));
  if (whole.exceeded() && whole.max_depth() <= 64) __builtin_trap();  // it stops at the limit, not before
  (void)TypeNestingDepth(bytes);
  (void)CheckTypeDepth("c", bytes);
  std::vector<int64_t> children(size / 2);
  for (size_t i = 0; i < children.size(); ++i) {
    int16_t v;
    std::memcpy(&v, data + 2 * i, 2);
    children[i] = v;
  }
  (void)ParquetSchemaDepth(children);
  return 0;
}
