// The vector-search filter check: whatever passes must stay one condition.
#include <string>

#include "vector/searcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string filter(reinterpret_cast<const char*>(data), size);
  (void)lakehouse::vector::ValidateFilter(filter);
  return 0;
}
