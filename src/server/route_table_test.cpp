// docs/api.md's route list is checked against the server's route table:
// every documented route has the role the server enforces, and every
// route the server knows is documented.
#include "server/route_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace lakehouse::server {

TEST(RouteTableTest, ApiDocListsEveryRouteWithTheRoleTheServerEnforces) {
  std::ifstream in(std::string(std::getenv("LAKEHOUSE_SOURCE_DIR")) + "/docs/api.md");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  // | METHOD | [`/path/{x}`](#anchor) | role | purpose |
  std::regex row(R"(^\| (GET|POST|PATCH|DELETE) \| \[`([^`]+)`\]\([^)]*\) \| (open|reader|writer|admin) \|)");
  std::set<const RouteRule*> documented;
  std::string line;
  int rows = 0;
  while (std::getline(text, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    ++rows;
    std::string concrete = std::regex_replace(m[2].str(), std::regex(R"(\{[^}]+\})"), "x");
    const RouteRule* rule = FindRoute(m[1], concrete);
    ASSERT_NE(rule, nullptr) << "api.md lists " << m[1] << " " << m[2] << ", which the route table does not have";
    std::string role = rule->role ? auth::RoleName(*rule->role) : "open";
    EXPECT_EQ(role, m[3].str()) << m[1] << " " << m[2];
    documented.insert(rule);
  }
  EXPECT_GT(rows, 50);
  for (const auto& rule : RouteTable()) {
    EXPECT_TRUE(documented.count(&rule)) << rule.method << " " << rule.pattern << " is not in docs/api.md's table";
  }
}

TEST(RouteTableTest, PathsMatchWholeAndUnknownOnesMatchNothing) {
  EXPECT_EQ(FindRoute("GET", "/health")->role, std::nullopt);
  EXPECT_EQ(*FindRoute("GET", "/vectors/indexes/x")->role, auth::Role::kReader);
  EXPECT_EQ(*FindRoute("DELETE", "/vectors/indexes/x")->role, auth::Role::kAdmin);
  EXPECT_EQ(*FindRoute("GET", "/vectors/indexes/x/docs/a/b")->role, auth::Role::kReader);
  EXPECT_EQ(*FindRoute("HEAD", "/catalog/datasets")->role, auth::Role::kReader);
  EXPECT_EQ(FindRoute("GET", "/vectors/indexes/x/y"), nullptr);
  EXPECT_EQ(FindRoute("PUT", "/catalog/datasets"), nullptr);
  EXPECT_EQ(FindRoute("GET", "/health/../admin/vram"), nullptr);
}

}  // namespace lakehouse::server
