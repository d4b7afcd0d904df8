// Internal to connectors/: the MySQL/MariaDB source and its type mapping.
#pragma once

#include <memory>
#include <string>

#include "connectors/source.h"

namespace lakehouse::connectors {

// What the MySQL protocol says of a result column.
struct MyType {
  int type = 0;          // enum_field_types
  unsigned long length = 0;
  unsigned decimals = 0;
  bool is_unsigned = false;
  bool is_binary = false;  // binary charset: BLOB, VARBINARY
  std::string format;      // MariaDB's extended type name, e.g. "json"
};

SourceColumn MapMysqlType(const MyType& type);
Result<std::unique_ptr<Source>> ConnectMysql(const ConnectionParams& params);

}  // namespace lakehouse::connectors
