// Internal to ai/: what the GPU slot's files share (sizes in words, lookups
// in /api/ps lists).
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "ai/model_server.h"
#include "ai/profiles.h"

namespace lakehouse::ai::slot {

inline constexpr int64_t kMiB = 1 << 20;

inline std::string Size(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(bytes) / kMiB);
  }
  return buf;
}

inline const LoadedModel* Find(const std::vector<LoadedModel>& loaded, const std::string& name) {
  for (const auto& m : loaded) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

inline bool Uses(const std::vector<ProfileModel>& models, const std::string& name) {
  return std::any_of(models.begin(), models.end(), [&](const auto& m) { return m.name == name; });
}

}  // namespace lakehouse::ai::slot
