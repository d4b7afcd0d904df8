// Every route and the role it needs, in one table: the server checks each
// request against it once any API key exists, docs/api.md's route list is
// checked against it (tests/e2e/e2e_auth_test.cpp), and the auth tests try
// every entry with every role.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/roles.h"

namespace lakehouse::server {

struct RouteRule {
  std::string method;   // GET, POST, PATCH, DELETE
  std::string pattern;  // the regex the route is registered with
  std::optional<auth::Role> role;  // none: open to all (only /health)
  // Answers with dataset values: masked without the pii grant, and audited
  // when a key with it reads them.
  bool shows_rows = false;
};

const std::vector<RouteRule>& RouteTable();

// The rule of a request, or nullopt for a path no route serves. Matching
// is on the whole path, as httplib's routing does.
// `first_capture`, when given, gets the first {parameter} of the path
// (the dataset, index, bucket or profile it names).
const RouteRule* FindRoute(const std::string& method, const std::string& path, std::string* first_capture = nullptr);

}  // namespace lakehouse::server
