#include "connectors/dsn.h"

#include <cctype>

#include "common/redact.h"

namespace lakehouse::connectors {

namespace {

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return InvalidArgument("the DSN has a bad percent-escape");
    }
    out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

}  // namespace

int ConnectionParams::EffectivePort() const {
  if (port > 0) return port;
  return system == "postgres" ? 5432 : 3306;
}

std::string ConnectionParams::Endpoint() const { return host + ":" + std::to_string(EffectivePort()); }

std::string ConnectionParams::Redacted() const {
  std::string scheme = system == "postgres" ? "postgresql" : "mysql";
  std::string auth = user.empty() ? "" : user + (password.empty() ? "" : ":***") + "@";
  return scheme + "://" + auth + Endpoint() + "/" + database;
}

Result<ConnectionParams> ParseDsn(std::string_view dsn) {
  ConnectionParams p;
  // Error messages never repeat the DSN: a password can hide anywhere in it.
  auto sep = dsn.find("://");
  if (sep == std::string_view::npos) {
    return InvalidArgument("a DSN must look like postgresql://user:pass@host:port/db or mysql://user:pass@host:port/db");
  }
  std::string_view scheme = dsn.substr(0, sep);
  if (scheme == "postgres" || scheme == "postgresql") {
    p.system = "postgres";
  } else if (scheme == "mysql" || scheme == "mariadb") {
    p.system = "mysql";
  } else {
    return InvalidArgument("DSN scheme '" + std::string(scheme) + "' is not postgresql or mysql");
  }
  std::string_view rest = dsn.substr(sep + 3);
  // The userinfo ends at the last '@' (a password may hold '/', '?', '#').
  std::string_view userinfo;
  bool has_userinfo = false;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    has_userinfo = true;
  }
  auto query = rest.find('?');
  if (query != std::string_view::npos) rest = rest.substr(0, query);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    LH_ASSIGN_OR_RETURN(p.database, PercentDecode(rest.substr(slash + 1)));
  }
  if (has_userinfo) {
    auto colon = userinfo.find(':');
    LH_ASSIGN_OR_RETURN(p.user, PercentDecode(userinfo.substr(0, colon)));
    if (colon != std::string_view::npos) {
      LH_ASSIGN_OR_RETURN(p.password, PercentDecode(userinfo.substr(colon + 1)));
    }
  }
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string port(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits || std::stoi(port) == 0 || std::stoi(port) > 65535) {
      return InvalidArgument("the DSN has an invalid port '" + port + "'");
    }
    p.port = std::stoi(port);
  }
  if (!authority.empty()) p.host = std::string(authority);
  if (p.database.empty()) return InvalidArgument("the DSN names no database (…/dbname)");
  return p;
}

}  // namespace lakehouse::connectors
