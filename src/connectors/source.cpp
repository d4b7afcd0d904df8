#include "connectors/source.h"

#include "connectors/mysql_source.h"
#include "connectors/postgres_source.h"

namespace lakehouse::connectors {

Result<std::unique_ptr<Source>> Connect(const ConnectionParams& params) {
  if (params.system == "postgres") return ConnectPostgres(params);
  if (params.system == "mysql") return ConnectMysql(params);
  return InvalidArgument("unknown source system '" + params.system + "'; use postgres or mysql");
}

void AppendCsvQuoted(std::string& out, const char* value, size_t len) {
  out += '"';
  for (size_t i = 0; i < len; ++i) {
    if (value[i] == '"') out += '"';
    out += value[i];
  }
  out += '"';
}

}  // namespace lakehouse::connectors
