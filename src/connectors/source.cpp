#include "connectors/source.h"

#include "common/names.h"

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

namespace {

std::string WithArgument(const std::string& expr, const std::string& argument) {
  std::string out = expr;
  out.replace(out.find("{}"), 2, argument);
  return out;
}

}  // namespace

std::string SourceSelectList(const std::vector<SourceColumn>& columns,
                             const std::function<std::string(const std::string&)>& quote) {
  std::string select;
  for (const auto& c : columns) select += (select.empty() ? "" : ", ") + WithArgument(c.source_expr, quote(c.name));
  return select;
}

std::string DuckSelectList(const std::vector<SourceColumn>& columns) {
  std::string select;
  for (size_t i = 0; i < columns.size(); ++i) {
    select += (i ? ", " : "") + WithArgument(columns[i].duck_expr, "c" + std::to_string(i)) + " AS " +
              QuoteIdent(columns[i].name);
  }
  return select;
}

std::vector<engine::WireType> WireTypes(const std::vector<SourceColumn>& columns) {
  std::vector<engine::WireType> wire;
  for (const auto& c : columns) wire.push_back(c.wire);
  return wire;
}

}  // namespace lakehouse::connectors
