// A source database lakehouse imports from. Implementations (postgres,
// mysql) register by system name; each streams rows as RFC 4180 CSV (NULL
// as an unquoted empty field, text always quoted) so that DuckDB parses them
// with the column types decided here, never by guessing.
//
// A source is used by one thread at a time. Errors never contain the password.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "connectors/dsn.h"

namespace lakehouse::connectors {

struct TableInfo {
  std::string schema;
  std::string name;
  int64_t estimated_rows = 0;
};

struct SourceColumn {
  std::string name;
  std::string source_type;  // as the source names it: numeric(12,2), tinyint(1), _int4...
  std::string duck_type;    // what it becomes: DECIMAL(12,2), BOOLEAN, INTEGER[]
  std::string note;         // why, when the mapping is lossy or unusual
  // How DuckDB reads the CSV field: as csv_type (parsed by the CSV reader
  // itself, the fast path), then through duck_expr, where `{}` stands for
  // the field's quoted identifier ("{}" alone when no conversion is left).
  std::string csv_type;
  std::string duck_expr;
};

// Fills csv_type and duck_expr from duck_type (the same rules for every source).
void FinishMapping(SourceColumn& column);

// One table (optionally schema-qualified) or one SELECT.
struct ImportSpec {
  std::string schema;  // postgres: default "public"; mysql: the DSN's database
  std::string table;
  std::string query;
  std::string incremental_column;             // rows with column > after_value only
  std::optional<std::string> after_value;     // as text, from the previous import
};

// Receives CSV bytes; returns false to stop (the export then fails).
using CsvSink = std::function<bool(const char* data, size_t len)>;

class Source {
 public:
  virtual ~Source() = default;
  virtual Result<std::vector<TableInfo>> ListTables() = 0;
  virtual Result<std::vector<SourceColumn>> Describe(const ImportSpec& spec) = 0;
  // Writes every row of `spec` as CSV, columns in Describe order, no header.
  // Returns the number of rows.
  virtual Result<int64_t> ExportCsv(const ImportSpec& spec, const std::vector<SourceColumn>& columns,
                                    const CsvSink& sink) = 0;
};

// Connects; a failure names the host and the reason (4xx: the caller's DSN is wrong).
Result<std::unique_ptr<Source>> Connect(const ConnectionParams& params);

// Appends `value` as a quoted CSV field ("a""b").
void AppendCsvQuoted(std::string& out, const char* value, size_t len);

}  // namespace lakehouse::connectors
