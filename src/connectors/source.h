// A source database lakehouse imports from. Implementations (postgres,
// mysql) register by system name; each streams rows straight into DuckDB's
// vectors (engine/row_stream.h) with the column types decided here, never
// by guessing, and never through text that DuckDB would parse again.
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
#include "engine/row_stream.h"

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
  // How a value travels: the source selects source_expr (`{}` stands for
  // the column's quoted identifier) and sends it as `wire`; DuckDB turns the
  // wire column (`{}` again) into duck_type with duck_expr ("{}" alone when
  // nothing is left to convert).
  std::string source_expr = "{}";
  engine::WireType wire = engine::WireType::kVarchar;
  std::string duck_expr = "{}";
};

// Fills duck_expr from wire and duck_type (the same rules for every source).
void FinishMapping(SourceColumn& column);

// The source's SELECT list: each column's source_expr over its name as
// `quote` writes an identifier in the source's SQL.
std::string SourceSelectList(const std::vector<SourceColumn>& columns,
                             const std::function<std::string(const std::string&)>& quote);
// DuckDB's SELECT list over a row stream's columns c0, c1...: each through
// its duck_expr, named as the source names it. And the stream's wire types.
std::string DuckSelectList(const std::vector<SourceColumn>& columns);
std::vector<engine::WireType> WireTypes(const std::vector<SourceColumn>& columns);

// One table (optionally schema-qualified) or one SELECT.
struct ImportSpec {
  std::string schema;  // postgres: default "public"; mysql: the DSN's database
  std::string table;
  std::string query;
  std::string incremental_column;             // rows with column > after_value only
  std::optional<std::string> after_value;     // as text, from the previous import
};

// A running export: DuckDB pulls its rows with Fill (columns in Describe
// order, each as its wire type).
class RowExport : public engine::RowProducer {
 public:
  // Rows handed over so far.
  virtual int64_t rows() const = 0;
  // Ends the export. After the last row, the source's verdict (its own row
  // count must match); before it, the export is cancelled on the server.
  virtual Status Finish() = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual Result<std::vector<TableInfo>> ListTables() = 0;
  virtual Result<std::vector<SourceColumn>> Describe(const ImportSpec& spec) = 0;
  // Starts sending every row of `spec`; the source is busy until the
  // export's Finish.
  virtual Result<std::unique_ptr<RowExport>> Export(const ImportSpec& spec,
                                                    const std::vector<SourceColumn>& columns) = 0;
};

// Connects; a failure names the host and the reason (4xx: the caller's DSN is wrong).
Result<std::unique_ptr<Source>> Connect(const ConnectionParams& params);

}  // namespace lakehouse::connectors
