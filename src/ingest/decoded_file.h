// A file read as the bytes it holds: plain, gzip or zstd (told by its first
// bytes), for the checks that must see what DuckDB will read (nesting depth,
// expansion, format detection) without a decompressed copy on disk.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string_view>
#include <memory>
#include <string>

#include "common/status.h"

namespace lakehouse::ingest {

class DecodedFile {
 public:
  static Result<std::unique_ptr<DecodedFile>> Open(const std::filesystem::path& path);
  ~DecodedFile();
  DecodedFile(const DecodedFile&) = delete;
  DecodedFile& operator=(const DecodedFile&) = delete;

  // Up to `size` decoded bytes; 0 at the end. kInvalidArgument when the
  // compressed data is damaged or cut short (`what` names the format).
  Result<size_t> Read(char* buffer, size_t size);
  const char* what() const;

  struct Impl;

 private:
  explicit DecodedFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Calls `chunk` with the decoded bytes in order until it returns false or
// the file ends; the reader's error when the data is damaged.
Status ForEachDecodedChunk(const std::filesystem::path& path, const std::function<bool(std::string_view)>& chunk);

// The first `size` decoded bytes (fewer when the file is shorter or damaged).
std::string ReadDecodedHead(const std::filesystem::path& path, size_t size);

}  // namespace lakehouse::ingest
