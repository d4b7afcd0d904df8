// The command implementations behind cli.cpp's option parsing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"

namespace lakehouse::cli {

struct ServeOptions {
  std::string demo_dir;   // ingest these files before serving (idempotent)
  std::string port_file;  // write the bound port here (for scripts and tests)
};
int RunServe(const Config& config, const ServeOptions& options);

struct IngestOptions {
  std::vector<std::string> files;
  std::string name;
  std::string mode = "append";
  std::string format;
  std::string bucket = "primary";
  bool json = false;
  bool allow_disjoint = false;
  std::map<std::string, std::string> reader;  // reader options by name (ingest/reader_options.h)
};
int RunIngest(const Config& config, const IngestOptions& options);

struct ImportOptions {
  std::string system, dsn, table, query, name, incremental_by, password_file;
  std::string bucket = "primary";
  bool list = false;
};
int RunImport(const Config& config, const ImportOptions& options);

struct QueryOptions {
  std::string sql;
  std::string format = "table";  // table, csv, json
  int64_t max_rows = -1;
};
int RunQuery(const Config& config, const QueryOptions& options);

struct ExportOptions {
  std::string dataset;  // or sql
  std::string sql;
  std::string format;  // empty: from the output file's extension, else csv
  std::string output;  // empty or "-": stdout
};
int RunExport(const Config& config, const ExportOptions& options);

struct CatalogSetOptions {
  std::string name;
  std::optional<std::string> description, owner, sensitivity, schema_policy;
  std::optional<std::vector<std::string>> tags;
  std::optional<int64_t> freshness_s;
  std::vector<std::string> column_sensitivity;  // "column=level"
};
int RunCatalogList(const Config& config, bool json);
int RunCatalogShow(const Config& config, const std::string& name);
int RunCatalogSet(const Config& config, const CatalogSetOptions& options);
int RunCatalogDelete(const Config& config, const std::string& name);

}  // namespace lakehouse::cli
