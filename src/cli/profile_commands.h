// `lakehouse profile create|list|show|activate|deactivate|drop`: model
// profiles and the GPU slot, on the data directory (the files' owner needs
// no server). A switch made here is seen by a running server, whose slot
// reads the same state file under the same lock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/config.h"

namespace lakehouse::cli {

class ProfileCommands {
 public:
  explicit ProfileCommands(CLI::App& app);
  // -1 when none of its commands was parsed.
  int Run(const Config& config) const;

 private:
  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* activate_ = nullptr;
  CLI::App* deactivate_ = nullptr;
  CLI::App* drop_ = nullptr;
  std::string id_, description_, embedder_ = "use-lite+hash", embedder_model_, embedder_url_, llm_model_,
      backend_ = "auto", bucket_;
  std::vector<std::string> options_;
  int64_t vram_budget_mib_ = 0, dimension_ = 0;
  bool json_ = false;
};

}  // namespace lakehouse::cli
