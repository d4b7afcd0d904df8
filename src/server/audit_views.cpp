#include "server/audit_views.h"

namespace lakehouse::server {

Result<auth::AuditFilter> ParseAuditFilter(const std::map<std::string, std::string>& params) {
  auth::AuditFilter f;
  for (const auto& [key, value] : params) {
    if (key == "since") {
      auto t = ParseTime(value);
      if (!t.ok()) return InvalidArgument("since must be a time such as 2026-12-03T10:00:00Z");
      f.since = *t;
    } else if (key == "actor") {
      f.actor = value;
    } else if (key == "route") {
      f.route_prefix = value;
    } else if (key == "outcome") {
      if (value == "ok") {
        f.outcome = auth::AuditOutcome::kOk;
      } else if (value == "refused") {
        f.outcome = auth::AuditOutcome::kRefused;
      } else if (value == "failed") {
        f.outcome = auth::AuditOutcome::kFailed;
      } else {
        return InvalidArgument("outcome must be ok, refused or failed");
      }
    } else if (key == "limit") {
      if (value.empty() || value.size() > 5 || value.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(value) < 1 || std::stoi(value) > 10000) {
        return InvalidArgument("limit must be a whole number from 1 to 10000");
      }
      f.limit = static_cast<size_t>(std::stoi(value));
    } else {
      return InvalidArgument("unknown parameter '" + key.substr(0, 40) + "'; use since, actor, route, outcome, limit");
    }
  }
  return f;
}

nlohmann::json AuditPageJson(const auth::AuditLog::Page& page) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : page.entries) {
    entries.push_back({{"at", FormatTime(e.at)},
                       {"actor", e.actor},
                       {"role", e.role},
                       {"method", e.method},
                       {"route", e.route},
                       {"target", e.target},
                       {"client", e.client},
                       {"status", e.status},
                       {"outcome", auth::AuditOutcomeName(e.outcome)},
                       {"detail", e.detail}});
  }
  return {{"entries", entries}, {"files", page.files}, {"damaged_lines", page.damaged_lines}};
}

}  // namespace lakehouse::server
