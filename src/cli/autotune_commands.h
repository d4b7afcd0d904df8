// `lakehouse index autotune|trials|promote|rollback|promotions`: autotune
// in the foreground on the data directory, with a progress line per build.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/config.h"

namespace lakehouse::cli {

// Adds its commands under the `index` command IndexCommands made; Run
// executes whichever was parsed (-1 when none was).
class AutotuneCommands {
 public:
  explicit AutotuneCommands(CLI::App& app);
  int Run(const Config& config) const;

 private:
  CLI::App* autotune_ = nullptr;
  CLI::App* trials_ = nullptr;
  CLI::App* promote_ = nullptr;
  CLI::App* rollback_ = nullptr;
  CLI::App* promotions_ = nullptr;
  std::string name_, metric_ = "recall", set_, mode_ = "hybrid", run_, backend_, reason_;
  std::vector<std::string> backends_, options_;
  double target_ = 0.95, max_minutes_ = 30;
  int k_ = 10;
  int64_t max_builds_ = 0, queries_ = 200, seed_ = 1, limit_ = 0;
  bool promote_flag_ = false, json_ = false;
};

}  // namespace lakehouse::cli
