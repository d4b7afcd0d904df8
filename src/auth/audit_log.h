// The audit log: who did what, append-only, in the primary bucket at
// _audit/audit.jsonl (one JSON object a line, each fsynced), rotated to
// _audit/audit-<time>.jsonl past a size, the oldest rotated files removed
// past a count. Every write, delete, move and permission change through the
// HTTP API is recorded with the key's name (never the key), and so are
// refused attempts (up to a rate: a flood of them is counted, not written
// line by line) and reads with the pii grant. Thread-safe; several
// processes may append (O_APPEND lines).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace lakehouse {
struct Config;  // common/config.h
}  // namespace lakehouse

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
  std::string client;  // the client's address (HTTP), empty for the CLI
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

struct AuditOptions {
  uint64_t rotate_bytes = 64ull << 20;
  int keep_rotated = 32;             // rotated files kept; 0: all, forever
  int64_t refusals_per_minute = 600;  // written one by one; past it counted in one entry; 0: no limit
};
// [audit] rotate_mb, keep_rotated, refusals_per_minute.
AuditOptions AuditOptionsFrom(const lakehouse::Config& config);

class AuditLog {
 public:
  // `dir` is <primary>/_audit.
  explicit AuditLog(std::filesystem::path dir, AuditOptions options = {})
      : dir_(std::move(dir)), options_(options) {}
  ~AuditLog();  // writes the count of refusals not yet recorded

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
  Status Write(const AuditEntry& entry);   // requires mutex_
  Status FlushDropped(TimePoint now);      // requires mutex_
  void Prune();                            // requires mutex_ and the rotate lock

  std::filesystem::path dir_;
  AuditOptions options_;
  std::mutex mutex_;
  // The refusal rate limit: this minute's window, what it wrote and dropped.
  TimePoint window_start_{};     // GUARDED_BY(mutex_)
  int64_t window_written_ = 0;   // GUARDED_BY(mutex_)
  int64_t dropped_ = 0;          // GUARDED_BY(mutex_)
  TimePoint first_dropped_{};    // GUARDED_BY(mutex_)
};

}  // namespace lakehouse::auth
