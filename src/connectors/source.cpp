#include "connectors/source.h"

#include "connectors/mysql_source.h"
#include "connectors/postgres_source.h"

namespace lakehouse::connectors {

Result<std::unique_ptr<Source>> Connect(const ConnectionParams& params) {
  if (params.system == "postgres") return ConnectPostgres(params);
  if (params.system == "mysql") return ConnectMysql(params);
  return InvalidArgument("unknown source system '" + params.system + "'; use postgres or mysql");
}

void FinishMapping(SourceColumn& c) {
  const std::string& t = c.duck_type;
  if (t == engine::WireTypeName(c.wire)) {
    c.duck_expr = "{}";
  } else if (t.size() > 2 && t.compare(t.size() - 2, 2, "[]") == 0) {
    c.duck_expr = "CAST(CAST({} AS JSON) AS " + t + ")";  // sources send lists as JSON arrays
  } else {
    c.duck_expr = "CAST({} AS " + t + ")";
  }
}

}  // namespace lakehouse::connectors
