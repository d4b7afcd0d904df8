#include "auth/audit_log.h"

#include "common/json_fields.h"

#include <algorithm>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/config.h"
#include "common/files.h"

namespace lakehouse::auth {

namespace {

using nlohmann::json;

constexpr size_t kMaxField = 512;

std::string Cut(const std::string& s) { return s.size() > kMaxField ? s.substr(0, kMaxField) + "..." : s; }

std::optional<AuditOutcome> ParseOutcome(const std::string& s) {
  if (s == "ok") return AuditOutcome::kOk;
  if (s == "refused") return AuditOutcome::kRefused;
  if (s == "failed") return AuditOutcome::kFailed;
  return std::nullopt;
}

std::optional<AuditEntry> FromLine(const std::string& line) {
  auto j = json::parse(line, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  AuditEntry e;
  auto at = ParseTime(StringOr(j, "at"));
  if (!at.ok()) return std::nullopt;
  e.at = *at;
  e.actor = StringOr(j, "actor");
  e.role = StringOr(j, "role");
  e.method = StringOr(j, "method");
  e.route = StringOr(j, "route");
  e.target = StringOr(j, "target");
  e.client = StringOr(j, "client");
  e.status = j.contains("status") && j["status"].is_number_integer() ? j["status"].get<int>() : 0;
  auto outcome = ParseOutcome(StringOr(j, "outcome"));
  if (!outcome) return std::nullopt;
  e.outcome = *outcome;
  e.detail = StringOr(j, "detail");
  return e;
}

}  // namespace

const char* AuditOutcomeName(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kOk: return "ok";
    case AuditOutcome::kRefused: return "refused";
    case AuditOutcome::kFailed: return "failed";
  }
  return "ok";
}

AuditOptions AuditOptionsFrom(const lakehouse::Config& config) {
  return {static_cast<uint64_t>(config.audit_rotate_mb) << 20, static_cast<int>(config.audit_keep_rotated),
          config.audit_refusals_per_minute};
}

AuditLog::~AuditLog() {
  std::lock_guard lock(mutex_);
  (void)FlushDropped(Now());
}

Status AuditLog::Append(const AuditEntry& e) {
  std::lock_guard lock(mutex_);
  TimePoint now = e.at == TimePoint{} ? Now() : e.at;
  if (now - window_start_ >= std::chrono::minutes(1)) {
    LH_RETURN_IF_ERROR(FlushDropped(now));
    window_start_ = now;
    window_written_ = 0;
  }
  // Refusals cost an fsync each and anyone can cause them: past the rate a
  // flood is one entry, not a line per request.
  if (e.outcome == AuditOutcome::kRefused && options_.refusals_per_minute > 0 &&
      window_written_ >= options_.refusals_per_minute) {
    if (dropped_++ == 0) first_dropped_ = now;
    return Status::Ok();
  }
  if (e.outcome == AuditOutcome::kRefused) ++window_written_;
  return Write(e);
}

Status AuditLog::FlushDropped(TimePoint now) {
  if (dropped_ == 0) return Status::Ok();
  AuditEntry summary;
  summary.at = now;
  summary.actor = "-";
  summary.method = "-";
  summary.route = "-";
  summary.outcome = AuditOutcome::kRefused;
  summary.detail = std::to_string(dropped_) + " more refused requests from " + FormatTime(first_dropped_) +
                   " were not recorded one by one (over [audit] refusals_per_minute = " +
                   std::to_string(options_.refusals_per_minute) + ")";
  dropped_ = 0;
  return Write(summary);
}

void AuditLog::Prune() {
  if (options_.keep_rotated <= 0) return;
  std::vector<fs::path> rotated;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("audit-", 0) == 0 && entry.path().extension() == ".jsonl") rotated.push_back(entry.path());
  }
  if (rotated.size() <= static_cast<size_t>(options_.keep_rotated)) return;
  std::sort(rotated.begin(), rotated.end());  // oldest first
  for (size_t i = 0; i + options_.keep_rotated < rotated.size(); ++i) fs::remove(rotated[i], ec);
}

Status AuditLog::Write(const AuditEntry& e) {
  json j = {{"at", FormatTime(e.at == TimePoint{} ? Now() : e.at)},
            {"actor", Cut(e.actor)},
            {"role", e.role},
            {"method", Cut(e.method)},
            {"route", Cut(e.route)},
            {"target", Cut(e.target)},
            {"client", Cut(e.client)},
            {"status", e.status},
            {"outcome", AuditOutcomeName(e.outcome)},
            {"detail", Cut(e.detail)}};
  std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  LH_RETURN_IF_ERROR(EnsureDirectory(dir_));
  fs::path current = dir_ / "audit.jsonl";
  std::error_code ec;
  if (fs::exists(current, ec) && fs::file_size(current, ec) >= options_.rotate_bytes) {
    // Rotated under a lock, so two processes never rename the same file.
    ProcessLock across(dir_ / ".rotate.lock");
    if (fs::exists(current, ec) && fs::file_size(current, ec) >= options_.rotate_bytes) {
      std::string stamp = FormatTime(Now());
      std::replace(stamp.begin(), stamp.end(), ':', '-');
      // Two rotations within a millisecond must not share a name (a rename would drop one).
      fs::path target = dir_ / ("audit-" + stamp + ".jsonl");
      for (int n = 1; fs::exists(target, ec); ++n) {
        char suffix[16];
        std::snprintf(suffix, sizeof suffix, "_%03d", n);  // sorts after the first of that millisecond
        target = dir_ / ("audit-" + stamp + suffix + ".jsonl");
      }
      fs::rename(current, target, ec);
      if (ec) return Internal("could not rotate the audit log: " + ec.message());
      Prune();
    }
  }
  // A crash mid-line left a torn tail: end it, so this entry is whole.
  if (std::ifstream tail(current, std::ios::binary | std::ios::ate); tail && tail.tellg() > 0) {
    tail.seekg(-1, std::ios::end);
    if (tail.get() != '\n') line = "\n" + line;
  }
  return AppendDurably(current, line);
}

Result<AuditLog::Page> AuditLog::Read(const AuditFilter& filter) const {
  Page page;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("audit-", 0) == 0 && name.size() > 6 && entry.path().extension() == ".jsonl") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // rotated names sort by time
  if (fs::exists(dir_ / "audit.jsonl", ec)) files.push_back(dir_ / "audit.jsonl");
  page.files = files.size();
  std::deque<AuditEntry> kept;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto e = FromLine(line);
      if (!e) {
        ++page.damaged_lines;
        continue;
      }
      if (filter.since && e->at < *filter.since) continue;
      if (!filter.actor.empty() && e->actor != filter.actor) continue;
      if (!filter.route_prefix.empty() && e->route.rfind(filter.route_prefix, 0) != 0) continue;
      if (filter.outcome && e->outcome != *filter.outcome) continue;
      kept.push_back(std::move(*e));
      if (kept.size() > filter.limit) kept.pop_front();
    }
  }
  page.entries.assign(kept.begin(), kept.end());
  return page;
}

}  // namespace lakehouse::auth
