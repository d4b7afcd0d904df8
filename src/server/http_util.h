// What every route shares: the one place StatusCode maps to HTTP status, the
// error body {"error": {"code", "message"}}, and typed reads of JSON bodies
// so that a wrong field type is a 400 naming the field.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.h"

namespace lakehouse::server {

int HttpStatusFor(StatusCode code);
void SendError(httplib::Response& res, const Status& status);
void SendJson(httplib::Response& res, const nlohmann::json& body, int http_status = 200);

// The body must be a JSON object; an empty body is an empty object.
Result<nlohmann::json> ParseJsonObject(const httplib::Request& req);

// Optional typed fields: absent or null gives nullopt, a wrong type a 400.
Result<std::optional<std::string>> OptionalString(const nlohmann::json& body, const char* key);
Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& body, const char* key);
Result<std::optional<std::vector<std::string>>> OptionalStrings(const nlohmann::json& body, const char* key);
Result<std::optional<bool>> OptionalBool(const nlohmann::json& body, const char* key);
Result<std::optional<double>> OptionalNumber(const nlohmann::json& body, const char* key);

// Runs `handler`, turning a non-ok Status into the error response.
template <typename Handler>
auto Guarded(Handler handler) {
  return [handler](const httplib::Request& req, httplib::Response& res) {
    Status s = handler(req, res);
    if (!s.ok()) SendError(res, s);
  };
}

}  // namespace lakehouse::server
