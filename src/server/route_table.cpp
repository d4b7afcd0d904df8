#include "server/route_table.h"

#include <regex>

namespace lakehouse::server {

namespace {

using auth::Role;

constexpr std::optional<Role> kOpen = std::nullopt;

struct Compiled {
  const RouteRule* rule;  // into RouteTable()
  std::regex regex;
};

const std::vector<Compiled>& CompiledTable() {
  static const std::vector<Compiled> table = [] {
    std::vector<Compiled> out;
    for (const auto& r : RouteTable()) out.push_back({&r, std::regex(r.pattern)});
    return out;
  }();
  return table;
}

}  // namespace

const std::vector<RouteRule>& RouteTable() {
  static const std::vector<RouteRule> table = {
      {"GET", "/health", kOpen},
      // Reading: catalog, SQL, search.
      {"GET", "/catalog/datasets", Role::kReader},
      {"GET", R"(/catalog/datasets/by-name/([^/]+))", Role::kReader},
      {"GET", R"(/catalog/datasets/by-name/([^/]+)/versions)", Role::kReader},
      {"POST", "/query/sql", Role::kReader, true},
      {"POST", "/query/export", Role::kReader, true},
      {"GET", "/storage/buckets", Role::kReader},
      {"GET", "/vectors/indexes", Role::kReader},
      {"GET", R"(/vectors/indexes/([^/]+))", Role::kReader},
      {"GET", R"(/vectors/indexes/([^/]+)/docs/(.+))", Role::kReader, true},
      {"GET", R"(/vectors/indexes/([^/]+)/stats)", Role::kReader},
      {"POST", R"(/vectors/search/([^/]+))", Role::kReader, true},
      {"GET", R"(/vectors/indexes/([^/]+)/evalsets)", Role::kReader},
      {"GET", R"(/vectors/indexes/([^/]+)/evalsets/([^/]+))", Role::kReader},
      {"GET", R"(/vectors/indexes/([^/]+)/autotune)", Role::kReader},
      {"GET", R"(/vectors/indexes/([^/]+)/trials)", Role::kReader},
      {"GET", "/vectors/promotions", Role::kReader},
      {"GET", "/vectors/agent/status", Role::kReader},
      {"GET", "/vectors/stale", Role::kReader},
      {"GET", "/vectors/profiles", Role::kReader},
      {"GET", R"(/vectors/profiles/([^/]+))", Role::kReader},
      {"GET", "/vectors/profile/active", Role::kReader},
      {"POST", R"(/vectors/profile/([^/]+)/search/([^/]+))", Role::kReader, true},
      // Writing data in: ingest, imports, index builds and refreshes.
      {"POST", "/ingest/file", Role::kWriter},
      {"POST", "/ingest/postgres/tables", Role::kWriter},
      {"POST", "/ingest/postgres/import", Role::kWriter},
      {"POST", "/ingest/mysql/tables", Role::kWriter},
      {"POST", "/ingest/mysql", Role::kWriter},
      {"POST", "/vectors/indexes", Role::kWriter},
      {"PATCH", R"(/vectors/indexes/([^/]+))", Role::kWriter},
      {"POST", R"(/vectors/indexes/([^/]+)/eval)", Role::kWriter},
      {"POST", R"(/vectors/indexes/([^/]+)/evalsets)", Role::kWriter},
      {"POST", R"(/vectors/indexes/([^/]+)/autotune)", Role::kWriter},
      {"POST", R"(/vectors/indexes/([^/]+)/promote)", Role::kWriter},
      {"POST", R"(/vectors/indexes/([^/]+)/rollback)", Role::kWriter},
      {"POST", R"(/vectors/agent/enqueue/([^/]+))", Role::kWriter},
      {"POST", R"(/vectors/refresh/([^/]+))", Role::kWriter},
      // Administering: buckets, deletes, moves, metadata and sensitivity,
      // profiles and the GPU.
      {"PATCH", R"(/catalog/datasets/by-name/([^/]+)/metadata)", Role::kAdmin},
      {"DELETE", R"(/catalog/datasets/by-name/([^/]+))", Role::kAdmin},
      {"PATCH", R"(/catalog/datasets/by-name/([^/]+)/bucket)", Role::kAdmin},
      {"POST", "/catalog/migrate-buckets", Role::kAdmin},
      {"POST", "/storage/buckets", Role::kAdmin},
      {"DELETE", R"(/storage/buckets/([^/]+))", Role::kAdmin},
      {"DELETE", R"(/vectors/indexes/([^/]+))", Role::kAdmin},
      {"DELETE", R"(/vectors/indexes/([^/]+)/evalsets/([^/]+))", Role::kAdmin},
      {"PATCH", R"(/vectors/indexes/([^/]+)/bucket)", Role::kAdmin},
      {"POST", "/vectors/profiles", Role::kAdmin},
      {"PATCH", R"(/vectors/profiles/([^/]+))", Role::kAdmin},
      {"DELETE", R"(/vectors/profiles/([^/]+))", Role::kAdmin},
      {"POST", R"(/vectors/profile/([^/]+)/activate)", Role::kAdmin},
      {"POST", R"(/vectors/profile/([^/]+)/deactivate)", Role::kAdmin},
      {"GET", "/admin/vram", Role::kAdmin},
      {"POST", "/admin/unload", Role::kAdmin},
      {"POST", "/admin/preload", Role::kAdmin},
      {"GET", "/admin/audit", Role::kAdmin},
  };
  return table;
}

const RouteRule* FindRoute(const std::string& method, const std::string& path, std::string* first_capture) {
  // HEAD is answered by the GET route.
  const std::string& m = method == "HEAD" ? std::string("GET") : method;
  std::smatch match;
  for (const auto& c : CompiledTable()) {
    if (c.rule->method == m && std::regex_match(path, match, c.regex)) {
      if (first_capture) *first_capture = match.size() > 1 ? match[1].str() : "";
      return c.rule;
    }
  }
  return nullptr;
}

}  // namespace lakehouse::server
