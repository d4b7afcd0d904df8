// API keys and roles end to end: every route of docs/api.md's table tried
// with no key and with a reader, a writer and an admin key against the real
// binary, start refused on a public address without keys, and the key
// itself never in a log, a response or a file.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

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
  for (const char* role : {"reader", "writer", "admin"}) keys[role] = MakeKey(server, role, std::string(role) + "_key");
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

  // The audit log has the CLI's key changes, the writes, the refusals and
  // the PII reads, by key name; a reader may not read it.
  EXPECT_EQ(server.http().Get("/admin/audit", {{"X-Api-Key", keys["reader"]}})->status, 403);
  ASSERT_EQ(Upload(server, "notes.csv", "id,body\n1,hello\n", {}, {{"X-Api-Key", keys["admin"]}}).status, 201);
  std::string pii_key = MakeKey(server, "reader", "pii_key", {"--grant", "pii"});
  ASSERT_EQ(Sql(server, "SELECT * FROM notes", {{"X-Api-Key", pii_key}}).status, 200);
  // A request's entry is written after its response: wait for the last one.
  json entries;
  for (int tries = 0; tries < 100; ++tries) {
    auto audit = server.http().Get("/admin/audit?actor=pii_key&limit=10000", {{"X-Api-Key", keys["admin"]}});
    ASSERT_EQ(audit->status, 200) << audit->body;
    if (!json::parse(audit->body)["entries"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto audit = server.http().Get("/admin/audit?limit=10000", {{"X-Api-Key", keys["admin"]}});
  ASSERT_EQ(audit->status, 200) << audit->body;
  entries = json::parse(audit->body)["entries"];
  auto count = [&](const std::function<bool(const json&)>& pred) {
    return std::count_if(entries.begin(), entries.end(), pred);
  };
  EXPECT_EQ(count([](const json& e) { return e["actor"] == "cli" && e["method"].get<std::string>().find("auth key create") == 0; }), 4);
  EXPECT_EQ(count([](const json& e) { return e["actor"] == "cli" && e["target"] == "writer_key" && e["method"] == "auth key revoke"; }), 1);
  EXPECT_GE(count([](const json& e) { return e["actor"] == "admin_key" && e["route"] == "/ingest/file" && e["outcome"] == "ok"; }), 1);
  EXPECT_GE(count([](const json& e) { return e["actor"] == "reader_key" && e["outcome"] == "refused" && e["route"] == "/storage/buckets"; }), 1);
  EXPECT_GE(count([](const json& e) { return e["actor"] == "anonymous" && e["status"] == 401; }), 40);
  EXPECT_EQ(count([](const json& e) { return e["detail"] == "read with the pii grant" && e["actor"] == "pii_key" && e["route"] == "/query/sql"; }), 1);
  EXPECT_EQ(count([](const json& e) { return e["method"] == "GET" && e["outcome"] == "ok"; }), 0);  // reads are not writes
  EXPECT_EQ(server.http().Get("/admin/audit?colour=red", {{"X-Api-Key", keys["admin"]}})->status, 400);
  EXPECT_EQ(server.http().Get("/admin/audit?limit=0", {{"X-Api-Key", keys["admin"]}})->status, 400);
  out.clear();
  ASSERT_EQ(server.RunCli({"auth", "audit", "--actor", "reader_key", "--outcome", "refused", "--json"}, &out, &err), 0) << err;
  EXPECT_GE(json::parse(out)["entries"].size(), 1u);

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
  EXPECT_EQ(json::parse(out)["keys"].size(), 4u);
  EXPECT_EQ(json::parse(out)["keys"][3]["grants"], json::array({"pii"}));
  EXPECT_EQ(out.find(keys["reader"].substr(12)), std::string::npos);
}

TEST(AuthE2E, ARefusedRequestsBodyIsNeverRunAndADamagedKeyFileClosesTheServer) {
  ServerProcess server("[inbox]\nenabled = false\n");
  std::string admin = MakeKey(server, "admin", "admin_key");
  ASSERT_TRUE(server.Start()) << server.log();
  // The refused request's body is a whole request with a good key: it
  // must not run on the same connection (request smuggling).
  std::string inner = "GET /storage/buckets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin + "\r\n\r\n";
  RawClient raw(server.port(), "127.0.0.1");
  ASSERT_TRUE(raw.Send("POST /query/sql HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(inner.size()) +
                       "\r\n\r\n" + inner));
  std::string answer;
  for (int i = 0; i < 20; ++i) {
    std::string part = raw.Receive(250);
    if (part.empty() || part == "<closed>") break;
    answer += part;
  }
  EXPECT_NE(answer.find("401"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("200 OK"), std::string::npos) << answer;

  // Every key revoked: still closed (a key file exists), not open.
  std::string out, err;
  ASSERT_EQ(server.RunCli({"auth", "key", "revoke", "admin_key"}, &out, &err), 0) << err;
  EXPECT_EQ(Get(server, "/catalog/datasets").status, 401);
  // A damaged key file fails closed, and says so in /health.
  WriteFile(server.data_dir() / "_catalog" / "auth" / "keys.json", "{\"keys\": [");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(Get(server, "/catalog/datasets").status, 401);
  EXPECT_EQ(ToReply(server.http().Delete("/storage/buckets/x")).status, 401);
  auto health = Get(server, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.dump().find("keys.json"), std::string::npos) << health.body.dump();
  EXPECT_NE(server.RunCli({"auth", "key", "create", "--role", "admin"}, &out, &err), 0);  // would overwrite the others
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

  // --insecure: it starts, and says so at start and in /health until a key exists.
  ServerProcess insecure("[server]\nhost = \"0.0.0.0\"\n[inbox]\nenabled = false\n");
  insecure.SetServeArgs({"--insecure"});
  ASSERT_TRUE(insecure.Start()) << insecure.log();
  EXPECT_NE(insecure.log().find("--insecure"), std::string::npos) << insecure.log();
  auto health = Get(insecure, "/health");
  ASSERT_EQ(health.body["warnings"].size(), 1u) << health.body.dump();
  EXPECT_NE(health.body["warnings"][0].get<std::string>().find("anyone who can reach it"), std::string::npos);
  EXPECT_EQ(Get(insecure, "/catalog/datasets").status, 200);
  std::string key = MakeKey(insecure, "reader", "first");
  EXPECT_EQ(Get(insecure, "/catalog/datasets").status, 401);
  EXPECT_EQ(ToReply(insecure.http().Get("/catalog/datasets", {{"X-Api-Key", key}})).status, 200);
  EXPECT_TRUE(Get(insecure, "/health").body["warnings"].empty());
}

}  // namespace lakehouse::testing
