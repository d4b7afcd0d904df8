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
};

SourceColumn MapPostgresType(const PgType& type);
Result<std::unique_ptr<Source>> ConnectPostgres(const ConnectionParams& params);

}  // namespace lakehouse::connectors
