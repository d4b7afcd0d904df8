// A bucket's contents: objects addressed by relative keys such as
// "datasets/orders/1-1.parquet". One implementation today (local directory);
// an S3-compatible one is the planned second. Every Put is atomic: readers see
// the old object or the new one. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lakehouse::storage {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual Status Put(std::string_view key, std::string_view bytes) = 0;
  // Adds bytes at the end (creating the object), durable on return: for
  // journals; not atomic, a crash may leave part of the last append.
  virtual Status Append(std::string_view key, std::string_view bytes) = 0;
  // Moves a file written in StagingDir() into place under `key`.
  virtual Status PutStaged(const std::filesystem::path& staged, std::string_view key) = 0;
  virtual Result<std::string> Get(std::string_view key) const = 0;
  // Keys under `prefix`, sorted; temporary files are never listed.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) const = 0;
  virtual Status Delete(std::string_view key) = 0;  // deleting a missing key is ok
  virtual Result<ObjectInfo> Stat(std::string_view key) const = 0;

  // Where writers (DuckDB's COPY, uploads) put files before PutStaged.
  virtual std::filesystem::path StagingDir() const = 0;
  // A path DuckDB can read the object from, if the backend has one.
  virtual std::optional<std::filesystem::path> LocalPath(std::string_view key) const = 0;
  virtual std::filesystem::path Root() const = 0;
};

// Keys are relative, '/'-separated, without "." or ".." segments.
Status ValidateKey(std::string_view key);

}  // namespace lakehouse::storage
