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
  std::string sslmode;  // Postgres only: disable, allow, prefer, require, verify-ca, verify-full; empty: libpq's default

  int EffectivePort() const;
  // "postgresql://user:***@host:port/db": never contains the password.
  std::string Redacted() const;
  std::string Endpoint() const;  // "host:port", for error messages
};

// Schemes: postgres, postgresql (system "postgres"); mysql, mariadb ("mysql").
// User and password may be percent-encoded, and may also come as
// ?user=…&password=… and, for Postgres, ?sslmode=… (other parameters are
// refused, never ignored).
Result<ConnectionParams> ParseDsn(std::string_view dsn);

// Where a password comes from when the DSN has none, so that it need not
// be on a command line (where `ps` shows it): the first line of
// `password_file` when given, else $LAKEHOUSE_SOURCE_PASSWORD; for Postgres
// libpq then still reads $PGPASSWORD and the password file ($PGPASSFILE,
// default ~/.pgpass) itself. InvalidArgument when the file cannot be read.
Status FillPassword(ConnectionParams& params, const std::string& password_file);

}  // namespace lakehouse::connectors
