// ObjectStore over a local directory (created on first use).
#pragma once

#include <filesystem>

#include "storage/object_store.h"

namespace lakehouse::storage {

class LocalStore final : public ObjectStore {
 public:
  explicit LocalStore(std::filesystem::path root);

  Status Put(std::string_view key, std::string_view bytes) override;
  Status Append(std::string_view key, std::string_view bytes) override;
  Status PutStaged(const std::filesystem::path& staged, std::string_view key) override;
  Result<std::string> Get(std::string_view key) const override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) const override;
  Status Delete(std::string_view key) override;
  Result<ObjectInfo> Stat(std::string_view key) const override;
  std::filesystem::path StagingDir() const override;
  std::optional<std::filesystem::path> LocalPath(std::string_view key) const override;
  std::filesystem::path Root() const override { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace lakehouse::storage
