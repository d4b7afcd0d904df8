// Connection parameters for source databases, from a DSN URL
// ("postgresql://user:pass@host:5432/db", "mysql://user@host/db") or from
// separate fields. The password lives only here: anything shown to people
// (logs, errors, manifests, API responses) uses Redacted().
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace lakehouse::connectors {

struct ConnectionParams {
  std::string system;  // "postgres" or "mysql"
  std::string host = "127.0.0.1";
  int port = 0;        // 0: the system's default (5432, 3306)
  std::string user;
  std::string password;
  std::string database;

  int EffectivePort() const;
  // "postgresql://user:***@host:port/db": never contains the password.
  std::string Redacted() const;
  std::string Endpoint() const;  // "host:port", for error messages
};

// Schemes: postgres, postgresql (system "postgres"); mysql, mariadb ("mysql").
// User and password may be percent-encoded.
Result<ConnectionParams> ParseDsn(std::string_view dsn);

}  // namespace lakehouse::connectors
