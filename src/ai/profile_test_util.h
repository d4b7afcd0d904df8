// What the profile tests share: a temporary data folder, the nvidia-smi
// stand-in's path, and a slot wired to the Ollama stand-in and its GPU.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "ai/profile_slot.h"
#include "fake_model_server.h"
#include "fixtures.h"

namespace lakehouse::ai {

struct TempDir {
  std::filesystem::path root = testing::MakeTempDir("profiles");
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  const std::filesystem::path& path() const { return root; }
};

inline std::string StandInNvidiaSmi() {
  return std::string(std::getenv("LAKEHOUSE_SOURCE_DIR")) + "/tests/fixtures/bin/nvidia-smi";
}

inline bool Has(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

}  // namespace lakehouse::ai
