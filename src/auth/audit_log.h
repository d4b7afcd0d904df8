// The audit log: who did what, append-only, in the primary bucket at
// _audit/audit.jsonl (one JSON object a line, each fsynced), rotated to
// _audit/audit-<time>.jsonl past a size. Every write, delete, move and
// permission change through the HTTP API is recorded with the key's name
// (never the key), and so are refused attempts and reads that asked for
// PII. Thread-safe; several processes may append (O_APPEND lines).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace lakehouse::auth {

enum class AuditOutcome { kOk, kRefused, kFailed };
const char* AuditOutcomeName(AuditOutcome outcome);  // ok, refused, failed

struct AuditEntry {
  TimePoint at{};
  std::string actor;   // the key's name; "cli" for the CLI; "open" when no key is needed
  std::string role;    // the key's role, empty when none
  std::string method;  // GET, POST, PATCH, DELETE, or the CLI command
  std::string route;   // the path asked for
  std::string target;  // the dataset, index, bucket, profile or key it named, if any
  int status = 0;      // the HTTP status (0 for the CLI)
  AuditOutcome outcome = AuditOutcome::kOk;
  std::string detail;  // a short reason for a refusal or failure
};

struct AuditFilter {
  std::optional<TimePoint> since;
  std::string actor;         // exact
  std::string route_prefix;  // "/catalog" keeps every catalog route
  std::optional<AuditOutcome> outcome;
  size_t limit = 1000;  // the newest ones
};

class AuditLog {
 public:
  // `dir` is <primary>/_audit.
  explicit AuditLog(std::filesystem::path dir, uint64_t rotate_bytes = 64ull << 20)
      : dir_(std::move(dir)), rotate_bytes_(rotate_bytes) {}

  Status Append(const AuditEntry& entry);
  // Oldest first, the last `limit` that pass the filter, across rotated
  // files; a torn or damaged line is skipped and counted.
  struct Page {
    std::vector<AuditEntry> entries;
    size_t damaged_lines = 0;
    size_t files = 0;
  };
  Result<Page> Read(const AuditFilter& filter) const;

 private:
  std::filesystem::path dir_;
  uint64_t rotate_bytes_;
  std::mutex mutex_;
};

}  // namespace lakehouse::auth
