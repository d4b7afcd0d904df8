// Small HTTP helpers shared by the end-to-end tests.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server_process.h"

namespace lakehouse::testing {

struct Reply {
  int status = 0;
  nlohmann::json body;
};

inline Reply ToReply(const httplib::Result& res) {
  Reply r;
  if (!res) return r;
  r.status = res->status;
  r.body = nlohmann::json::parse(res->body, nullptr, false);
  return r;
}

inline Reply Upload(ServerProcess& server, const std::string& file_name, const std::string& content,
                    const std::vector<std::pair<std::string, std::string>>& fields = {},
                    const httplib::Headers& headers = {}) {
  httplib::MultipartFormDataItems items = {{"file", content, file_name, "application/octet-stream"}};
  for (const auto& [k, v] : fields) items.push_back({k, v, "", ""});
  return ToReply(server.http().Post("/ingest/file", headers, items));
}

inline Reply Sql(ServerProcess& server, const std::string& sql) {
  return ToReply(server.http().Post("/query/sql", nlohmann::json{{"sql", sql}}.dump(), "application/json"));
}

inline Reply Get(ServerProcess& server, const std::string& path) { return ToReply(server.http().Get(path.c_str())); }

inline std::string ErrorMessage(const Reply& r) {
  if (!r.body.is_object() || !r.body.contains("error")) return "";
  return r.body["error"].value("message", "");
}

}  // namespace lakehouse::testing
