#include "common/problems.h"

#include <spdlog/spdlog.h>

namespace lakehouse {

void ProblemLog::Report(const std::string& what, const std::string& why) {
  std::lock_guard lock(mutex_);
  auto [it, added] = problems_.try_emplace(what, why);
  if (!added && it->second == why) return;
  it->second = why;
  spdlog::warn("skipping {}: {}", what, why);
}

void ProblemLog::Clear(const std::string& what) {
  std::lock_guard lock(mutex_);
  problems_.erase(what);
}

void ProblemLog::ReplaceAll(const std::string& prefix, const std::map<std::string, std::string>& fresh) {
  std::map<std::string, std::string> added;
  {
    std::lock_guard lock(mutex_);
    for (auto it = problems_.lower_bound(prefix); it != problems_.end() && it->first.rfind(prefix, 0) == 0;) {
      auto same = fresh.find(it->first);
      if (same == fresh.end() || same->second != it->second) {
        it = problems_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [what, why] : fresh) {
      if (problems_.emplace(what, why).second) added[what] = why;
    }
  }
  for (const auto& [what, why] : added) spdlog::warn("skipping {}: {}", what, why);
}

std::map<std::string, std::string> ProblemLog::Snapshot() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

}  // namespace lakehouse
