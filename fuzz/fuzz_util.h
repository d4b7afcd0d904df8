// Shared by the fuzz targets: a scratch file per process for parsers that
// read files, on tmpfs when there is one.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace lakehouse::fuzz {

inline std::filesystem::path ScratchFile(const char* name) {
  std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  return dir / ("lh_fuzz_" + std::string(name) + "_" + std::to_string(::getpid()));
}

inline void WriteScratch(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace lakehouse::fuzz
