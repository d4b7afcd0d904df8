// `lakehouse auth key create|list|revoke` and `lakehouse auth audit`: API
// keys, made on the data folder by its owner (no key is needed for that),
// and the audit log. A key is printed once; only its salted hash is kept.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/config.h"

namespace lakehouse::cli {

class AuthCommands {
 public:
  explicit AuthCommands(CLI::App& app);
  // -1 when none of its commands was parsed.
  int Run(const Config& config) const;

 private:
  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* revoke_ = nullptr;
  CLI::App* audit_ = nullptr;
  std::string role_, name_, expires_, which_, since_, actor_, route_, outcome_;
  std::vector<std::string> grants_;
  int limit_ = 100;
  bool json_ = false;
};

}  // namespace lakehouse::cli
