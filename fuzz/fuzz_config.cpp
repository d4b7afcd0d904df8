// lakehouse.toml: any bytes give a Config or an error, never a crash.
#include <string_view>

#include "common/config.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto file = lakehouse::fuzz::ScratchFile("config.toml");
  lakehouse::fuzz::WriteScratch(file, std::string_view(reinterpret_cast<const char*>(data), size));
  (void)lakehouse::LoadConfig(file);
  return 0;
}
