#include "connectors/dsn.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

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
  std::string_view params;
  auto query = rest.find('?');
  if (query != std::string_view::npos) {
    params = rest.substr(query + 1);
    rest = rest.substr(0, query);
  }
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
  // ?user=…&password=… (libpq's URI form): the same as in the user info.
  // Anything else would be silently ignored, so it is refused.
  while (!params.empty()) {
    std::string_view pair = params.substr(0, params.find('&'));
    params = pair.size() < params.size() ? params.substr(pair.size() + 1) : std::string_view();
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    LH_ASSIGN_OR_RETURN(std::string value, PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1)));
    if (key == "password") {
      p.password = value;
    } else if (key == "user") {
      p.user = value;
    } else if (key == "sslmode" && p.system == "postgres") {
      static const char* kModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
      if (std::find(std::begin(kModes), std::end(kModes), value) == std::end(kModes)) {
        return InvalidArgument("sslmode must be disable, allow, prefer, require, verify-ca or verify-full");
      }
      p.sslmode = value;
    } else {
      return InvalidArgument("DSN parameter '" + std::string(key.substr(0, 32)) + "' is not supported; the DSN may carry " +
                             (p.system == "postgres" ? "user, password and sslmode" : "user and password") + " only");
    }
  }
  if (p.database.empty()) return InvalidArgument("the DSN names no database (…/dbname)");
  return p;
}

Status FillPassword(ConnectionParams& params, const std::string& password_file) {
  if (!params.password.empty()) {
    if (!password_file.empty()) return InvalidArgument("give the password once: in the DSN or in --password-file");
    return Status::Ok();
  }
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      return InvalidArgument("cannot read the password file " + password_file + " (its first line is the password)");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    params.password = line;
    return Status::Ok();
  }
  if (const char* env = std::getenv("LAKEHOUSE_SOURCE_PASSWORD"); env && *env) params.password = env;
  return Status::Ok();
}

}  // namespace lakehouse::connectors
