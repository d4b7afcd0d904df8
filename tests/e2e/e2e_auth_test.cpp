// API keys and roles end to end: every route of docs/api.md's table tried
// with no key and with a reader, a writer and an admin key against the real
// binary, start refused on a public address without keys, and the key
// itself never in a log, a response or a file.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace {

using nlohmann::json;

struct DocRoute {
  std::string method, path, role;
};

// The routes as docs/api.md lists them (checked against the server's own
// table by RouteTableTest), with "x" for every {parameter}.
std::vector<DocRoute> DocumentedRoutes() {
  std::ifstream in(std::string(std::getenv("LAKEHOUSE_SOURCE_DIR")) + "/docs/api.md");
  std::stringstream text;
  text << in.rdbuf();
  std::regex row(R"(^\| (GET|POST|PATCH|DELETE) \| \[`([^`]+)`\]\([^)]*\) \| (open|reader|writer|admin) \|)");
  std::vector<DocRoute> out;
  std::string line;
  while (std::getline(text, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      out.push_back({m[1], std::regex_replace(m[2].str(), std::regex(R"(\{[^}]+\})"), "x"), m[3]});
    }
  }
  return out;
}

int Rank(const std::string& role) { return role == "reader" ? 0 : role == "writer" ? 1 : 2; }

httplib::Result Send(httplib::Client& http, const DocRoute& r, const httplib::Headers& headers) {
  if (r.method == "GET") return http.Get(r.path.c_str(), headers);
  if (r.method == "DELETE") return http.Delete(r.path.c_str(), headers);
  if (r.method == "PATCH") return http.Patch(r.path.c_str(), headers, "{}", "application/json");
  return http.Post(r.path.c_str(), headers, "{}", "application/json");
}

std::string MakeKey(ServerProcess& server, const std::string& role) {
  std::string out, err;
  int rc = server.RunCli({"auth", "key", "create", "--role", role, "--name", role + "_key"}, &out, &err);
  EXPECT_EQ(rc, 0) << err;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(AuthE2E, EveryRouteAnswersByRoleOnceAKeyExists) {
  ServerProcess server("[inbox]\nenabled = false\n");
  std::map<std::string, std::string> keys;
  for (const char* role : {"reader", "writer", "admin"}) keys[role] = MakeKey(server, role);
  ASSERT_TRUE(server.Start()) << server.log();
  auto routes = DocumentedRoutes();
  ASSERT_GT(routes.size(), 50u);
  for (const auto& r : routes) {
    auto none = Send(server.http(), r, {});
    ASSERT_TRUE(none) << r.method << " " << r.path;
    if (r.role == "open") {
      EXPECT_EQ(none->status, 200) << r.path;
      continue;
    }
    EXPECT_EQ(none->status, 401) << r.method << " " << r.path << ": " << none->body;
    for (const auto& [role, key] : keys) {
      // Half the time the other header, so both are tried on every route.
      httplib::Headers headers = (r.path.size() % 2) ? httplib::Headers{{"Authorization", "Bearer " + key}}
                                                     : httplib::Headers{{"X-Api-Key", key}};
      auto res = Send(server.http(), r, headers);
      ASSERT_TRUE(res) << r.method << " " << r.path;
      if (Rank(role) < Rank(r.role)) {
        EXPECT_EQ(res->status, 403) << role << " " << r.method << " " << r.path << ": " << res->body;
      } else {
        // Allowed: whatever the route makes of an empty body and made-up
        // names (200, 400, 404, ...), never an auth answer.
        EXPECT_NE(res->status, 401) << role << " " << r.method << " " << r.path << ": " << res->body;
        EXPECT_NE(res->status, 403) << role << " " << r.method << " " << r.path << ": " << res->body;
      }
    }
  }
  // Bad keys of every kind: 401, and the answer never repeats them.
  for (const std::string& bad : {std::string("lh_00000000_") + std::string(48, 'a'), std::string("nonsense"),
                                 keys["admin"].substr(0, keys["admin"].size() - 1) + "x"}) {
    auto res = server.http().Get("/catalog/datasets", {{"Authorization", "Bearer " + bad}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(res->body.find(bad), std::string::npos);
  }
  // A revoked key stops at once (the server reads the key file again).
  std::string out, err;
  ASSERT_EQ(server.RunCli({"auth", "key", "revoke", "writer_key"}, &out, &err), 0) << err;
  auto revoked = server.http().Get("/catalog/datasets", {{"X-Api-Key", keys["writer"]}});
  EXPECT_EQ(revoked->status, 401);
  EXPECT_NE(revoked->body.find("revoked"), std::string::npos) << revoked->body;

  // The canary: no key in the log, a response above, or any stored file.
  std::string log = server.log();
  for (const auto& [role, key] : keys) {
    std::string secret = key.substr(12);
    EXPECT_EQ(log.find(secret), std::string::npos) << role;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(server.dir())) {
      if (!entry.is_regular_file() || entry.path().filename() == "lakehouse.toml") continue;
      EXPECT_EQ(ReadAll(entry.path()).find(secret), std::string::npos) << role << " in " << entry.path();
    }
  }
  out.clear();
  ASSERT_EQ(server.RunCli({"auth", "key", "list", "--json"}, &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["keys"].size(), 3u);
  EXPECT_EQ(out.find(keys["reader"].substr(12)), std::string::npos);
}

TEST(AuthE2E, WithoutKeysLoopbackIsOpenAndAPublicAddressIsRefused) {
  ServerProcess open_server("[inbox]\nenabled = false\n");
  ASSERT_TRUE(open_server.Start()) << open_server.log();
  EXPECT_EQ(Get(open_server, "/catalog/datasets").status, 200);  // as before: the README's commands stay one step
  EXPECT_TRUE(Get(open_server, "/health").body["warnings"].empty());
  open_server.Stop();

  std::string out, err;
  int rc = open_server.RunCli({"serve", "--host", "0.0.0.0", "--port", "0"}, &out, &err);
  EXPECT_EQ(rc, 1);
  EXPECT_NE((out + err).find("refusing to listen on 0.0.0.0 with no API key"), std::string::npos) << out << err;
}

}  // namespace lakehouse::testing
