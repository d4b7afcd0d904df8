// Format detection and the CSV sniffers (delimiter, ragged-line finder) on
// arbitrary bytes, as an upload's first 64 KiB or a whole small file.
#include <string_view>

#include "fuzz_util.h"
#include "ingest/file_reader.h"
#include "ingest/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakehouse::ingest;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (std::string_view name : {"x.csv", "x.txt", "x", "x.json"}) {
    (void)DetectFormatFromPrefix(bytes, name, true);
    (void)DetectFormatFromPrefix(bytes, name, false);
  }
  static const auto file = lakehouse::fuzz::ScratchFile("format");
  lakehouse::fuzz::WriteScratch(file, bytes);
  (void)DetectFormat(file, "upload");
  char delimiter = DetectDelimiter(file);
  (void)ScanCsvShape(file, delimiter ? delimiter : ',', '"', '#', 1);
  return 0;
}
