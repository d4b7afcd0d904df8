// The audit log at the edge: query parameters into a filter, entries into
// JSON. Shared by GET /admin/audit and `lakehouse auth audit`.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/audit_log.h"

namespace lakehouse::server {

// since (ISO time), actor, route (a prefix), outcome (ok|refused|failed),
// limit (1..10000, default 1000); anything else is InvalidArgument.
Result<auth::AuditFilter> ParseAuditFilter(const std::map<std::string, std::string>& params);
nlohmann::json AuditPageJson(const auth::AuditLog::Page& page);

}  // namespace lakehouse::server
