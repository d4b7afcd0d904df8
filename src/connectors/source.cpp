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
  bool is_list = t.size() > 2 && t.compare(t.size() - 2, 2, "[]") == 0;
  c.csv_type = "VARCHAR";
  if (is_list) {
    c.duck_expr = "CAST(CAST({} AS JSON) AS " + t + ")";  // sources send lists as JSON arrays
  } else if (t == "BLOB") {
    c.duck_expr = "unhex({})";  // sources send bytes as hex
  } else if (t == "JSON") {
    c.duck_expr = "CAST({} AS JSON)";
  } else {
    c.csv_type = t;
    c.duck_expr = "{}";
  }
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
