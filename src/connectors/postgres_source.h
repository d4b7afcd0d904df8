// Internal to connectors/: the Postgres source and its type mapping.
#pragma once

#include <memory>
#include <string>

#include "connectors/source.h"

namespace lakehouse::connectors {

struct PgType {
  std::string name;   // pg_type.typname: int4, numeric, _int4...
  char typtype = 'b'; // 'e' for enums
  int typmod = -1;
  std::string element_name;  // for arrays: the element's typname
  char element_typtype = 'b';
  bool builtin = true;          // a type of pg_catalog (OID below 16384), not a user type of the same name
  bool element_builtin = true;
  bool integer_datetimes = true;  // the server's times are int64 microseconds (always since PostgreSQL 10)
};

SourceColumn MapPostgresType(const PgType& type);
Result<std::unique_ptr<Source>> ConnectPostgres(const ConnectionParams& params);

}  // namespace lakehouse::connectors
