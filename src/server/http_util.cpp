#include "server/http_util.h"

namespace lakehouse::server {

using nlohmann::json;

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kTimeout: return 408;
    case StatusCode::kConflict: return 409;
    case StatusCode::kTooLarge: return 413;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kUpstreamTimeout: return 504;
    case StatusCode::kStorageFull: return 507;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

void SendJson(httplib::Response& res, const json& body, int http_status) {
  res.status = http_status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, const Status& status) {
  SendJson(res, {{"error", {{"code", StatusCodeName(status.code())}, {"message", status.message()}}}},
           HttpStatusFor(status.code()));
}

Result<json> ParseJsonObject(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return InvalidArgument("the request body is not valid JSON");
  if (!body.is_object()) return InvalidArgument("the request body must be a JSON object");
  return body;
}

Result<std::optional<std::string>> OptionalString(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::optional<std::string>();
  if (!body[key].is_string()) return InvalidArgument(std::string("field '") + key + "' must be a string");
  return std::optional<std::string>(body[key].get<std::string>());
}

Result<std::optional<int64_t>> OptionalInt(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::optional<int64_t>();
  if (!body[key].is_number_integer()) return InvalidArgument(std::string("field '") + key + "' must be an integer");
  return std::optional<int64_t>(body[key].get<int64_t>());
}

Result<std::optional<bool>> OptionalBool(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::optional<bool>();
  if (!body[key].is_boolean()) return InvalidArgument(std::string("field '") + key + "' must be true or false");
  return std::optional<bool>(body[key].get<bool>());
}

Result<std::optional<double>> OptionalNumber(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::optional<double>();
  if (!body[key].is_number()) return InvalidArgument(std::string("field '") + key + "' must be a number");
  return std::optional<double>(body[key].get<double>() + 0.0);  // -0 is 0
}

Result<std::optional<std::vector<std::string>>> OptionalStrings(const json& body, const char* key) {
  using Out = std::optional<std::vector<std::string>>;
  if (!body.contains(key) || body[key].is_null()) return Out();
  const json& v = body[key];
  bool ok = v.is_array();
  for (const auto& item : v) ok = ok && item.is_string();
  if (!ok) return InvalidArgument(std::string("field '") + key + "' must be an array of strings");
  return Out(v.get<std::vector<std::string>>());
}

}  // namespace lakehouse::server
