// Stored entries that were skipped because they could not be used (a
// manifest that does not parse, a bucket whose path is invalid): the owner
// starts without them and reports them here instead of refusing to start.
// GET /health lists them. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace lakehouse {

class ProblemLog {
 public:
  // Records why `what` (a stored file or entry) was skipped; logged once per change.
  void Report(const std::string& what, const std::string& why);
  void Clear(const std::string& what);
  // Replaces every problem whose key starts with `prefix` by `fresh` (a full reload).
  void ReplaceAll(const std::string& prefix, const std::map<std::string, std::string>& fresh);
  std::map<std::string, std::string> Snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> problems_;  // GUARDED_BY(mutex_)
};

}  // namespace lakehouse
