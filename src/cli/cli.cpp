#include "cli/cli.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "cli/autotune_commands.h"
#include "cli/profile_commands.h"
#include "cli/auth_commands.h"
#include "cli/index_commands.h"

namespace lakehouse::cli {

namespace {

constexpr const char* kDescription =
    "lakehouse: files and databases in, queryable and self-describing Parquet datasets out.\n"
    "Every command works on the data directory directly (no server needed); `serve` starts the\n"
    "HTTP API on the same data. Configuration: lakehouse.toml (see lakehouse.toml.example).";

}  // namespace

int Main(int argc, char** argv) {
  // A reader that goes away (a failed conversion, a closed client) must be an
  // error value, not a signal that kills the process.
  std::signal(SIGPIPE, SIG_IGN);
  // Past a file size limit (ulimit -f) the write fails with EFBIG and the
  // request with a clear error, instead of the signal killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  // Nothing we create is writable by other users, whatever the caller's
  // umask: they could swap a data file for a link that SQL would follow.
  ::umask(::umask(0) | 022);
  CLI::App app{kDescription, "lakehouse"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lakehouse 0.1.0");
  std::string config_path, data_dir, log_level;
  app.add_option("-c,--config", config_path, "Config file (default: ./lakehouse.toml if present)");
  app.add_option("-d,--data-dir", data_dir, "Root of the primary bucket (default ./data)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (default: info for serve, warn otherwise)");

  ServeOptions serve;
  std::string host;
  int port = -1;
  auto* serve_cmd = app.add_subcommand("serve", "Start the HTTP API (default 127.0.0.1:3100; HTTPS with [server] tls_cert and tls_key)");
  serve_cmd->add_option("--host", host, "Address to listen on");
  serve_cmd->add_option("-p,--port", port, "Port to listen on; 0 picks a free one");
  serve_cmd->add_option("--demo", serve.demo_dir, "Ingest the files in this folder before serving (idempotent)");
  serve_cmd->add_option("--port-file", serve.port_file, "Write the bound port to this file once listening");
  bool insecure = false;
  serve_cmd->add_flag("--insecure", insecure,
                      "Serve a non-loopback --host with no API key (anyone who reaches it may do anything); "
                      "without it, such a start is refused until `lakehouse auth key create` has made a key");

  IngestOptions ingest;
  auto* ingest_cmd = app.add_subcommand(
      "ingest", "Ingest CSV, TSV, JSON, NDJSON, Parquet, text or PDF files as datasets");
  ingest_cmd->add_option("files", ingest.files,
                         "Files or folders to ingest (a folder: each file in it); - reads stdin (needs --name and --format)")
      ->required()
      ->check(CLI::ExistingPath | CLI::IsMember({"-"}));
  ingest_cmd->add_option("-n,--name", ingest.name, "Dataset name (default: derived from each file name)");
  ingest_cmd->add_option("-m,--mode", ingest.mode, "append (add a file) or replace (new version)")
      ->check(CLI::IsMember({"append", "replace"}));
  ingest_cmd->add_option("-f,--format", ingest.format, "Skip detection: csv, tsv, json, ndjson, parquet, text, pdf");
  ingest_cmd->add_option("-b,--bucket", ingest.bucket, "Bucket to write to (default primary)");
  ingest_cmd->add_flag("--json", ingest.json, "Print each result as JSON");
  ingest_cmd->add_flag("--allow-disjoint", ingest.allow_disjoint,
                       "Append even when the file shares no column with the dataset");
  // Reader options: how to read a file where detection is not enough. The
  // names match the upload fields (delimiter, skip, ...) and are kept in the
  // dataset's lineage.
  auto reader = [&](const char* flag, const char* key, const char* help) {
    ingest_cmd->add_option_function<std::string>(flag, [&ingest, key](const std::string& v) { ingest.reader[key] = v; }, help)
        ->group("Reader options");
  };
  reader("--delimiter", "delimiter", "CSV field delimiter: one character or tab (default: detected)");
  reader("--quote", "quote", "CSV quote character, or none (default: \")");
  reader("--escape", "escape", "CSV escape character inside quotes (default: the quote)");
  reader("--header", "header", "true or false: the first line holds the column names (default: detected)");
  reader("--skip", "skip", "Lines to skip before the header (a note or title above it)");
  reader("--comment", "comment", "Skip lines starting with this character (default: # when the file starts with it)");
  reader("--null", "null", "Text that means NULL, e.g. NA or \\N");
  ingest_cmd->add_flag_function("--null-padding", [&ingest](int64_t) { ingest.reader["null_padding"] = "true"; },
                                "Rows with fewer fields than the header get NULL for the rest (default: on, with a "
                                "warning, when only that is wrong)")
      ->group("Reader options");
  reader("--encoding", "encoding", "utf-8 (default), utf-16, latin-1 or cp1252");
  reader("--decimal-separator", "decimal_separator", "Decimal separator of numbers: . (default) or ,");
  reader("--date-format", "date_format", "Format of dates, e.g. %d/%m/%Y");
  reader("--timestamp-format", "timestamp_format", "Format of timestamps, e.g. \"%d/%m/%Y %H:%M\"");
  reader("--types", "types", "Column types instead of detected ones: id=BIGINT,zip=VARCHAR");
  reader("--records", "records", "JSON: the path of the array whose elements are the rows, e.g. 3166-1 or data.items");
  reader("--records-by", "records_by", "Text: one row per paragraph (default), line, or separator:TEXT (e.g. separator:%)");

  QueryOptions query;
  auto* query_cmd = app.add_subcommand("query", "Run one read-only SQL statement; every dataset is a view");
  query_cmd->add_option("sql", query.sql, "The SQL, e.g. \"SELECT count(*) FROM orders\"")->required();
  query_cmd->add_option("-o,--output", query.format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  query_cmd->add_option("--max-rows", query.max_rows,
                        "Print at most N rows (default: all; [query] max_result_rows caps HTTP responses only)")
      ->check(CLI::NonNegativeNumber);

  ExportOptions export_options;
  auto* export_cmd = app.add_subcommand(
      "export", "Write a dataset or a query's whole result to a file: csv, tsv, parquet, json (one array) or ndjson");
  export_cmd->add_option("dataset", export_options.dataset, "Dataset to export (name, or name@vN for a version)");
  export_cmd->add_option("--sql", export_options.sql, "Export the result of this SELECT instead of a dataset");
  export_cmd->add_option("-f,--format", export_options.format,
                         "csv, tsv, parquet, json or ndjson (default: from the file's extension, else csv)")
      ->check(CLI::IsMember({"csv", "tsv", "parquet", "json", "ndjson", "jsonl"}));
  export_cmd->add_option("-o,--output", export_options.output,
                         "File to write, whole or not at all (default: stdout, streamed)");

  ImportOptions import;
  auto* import_cmd = app.add_subcommand("import", "Import a Postgres or MySQL/MariaDB table or query as a dataset");
  import_cmd->add_option("system", import.system, "postgres or mysql")->required()->check(CLI::IsMember({"postgres", "mysql"}));
  import_cmd->add_option("dsn", import.dsn,
                         "postgresql://user@host:port/db or mysql://user@host:port/db. Keep the password out of it "
                         "(ps shows command lines): use --password-file or $LAKEHOUSE_SOURCE_PASSWORD; for Postgres "
                         "also $PGPASSWORD or ~/.pgpass ($PGPASSFILE)")
      ->required();
  import_cmd->add_option("--password-file", import.password_file,
                         "Read the source password from the first line of this file (mode 0600)");
  import_cmd->add_option("-t,--table", import.table, "Table to import (schema.table allowed)");
  import_cmd->add_option("-q,--query", import.query, "A SELECT to import instead of a table (needs --name)");
  import_cmd->add_option("-n,--name", import.name, "Dataset name (default: the table's name)");
  import_cmd->add_option("--incremental-by", import.incremental_by,
                         "Append only rows whose COLUMN is past the last imported value");
  import_cmd->add_option("-b,--bucket", import.bucket, "Bucket to write to (default primary)");
  import_cmd->add_flag("--list", import.list, "List the tables of the database instead of importing");

  auto* catalog_cmd = app.add_subcommand("catalog", "List, show, update and delete datasets");
  catalog_cmd->require_subcommand(1);
  bool list_json = false;
  auto* list_cmd = catalog_cmd->add_subcommand("list", "List datasets with rows, owner and freshness");
  list_cmd->add_flag("--json", list_json, "Print JSON");
  std::string show_name;
  auto* show_cmd = catalog_cmd->add_subcommand("show", "Print a dataset's manifest as JSON");
  show_cmd->add_option("name", show_name, "Dataset name")->required();
  CatalogSetOptions set;
  auto* set_cmd = catalog_cmd->add_subcommand("set", "Update a dataset's metadata");
  set_cmd->add_option("name", set.name, "Dataset name")->required();
  set_cmd->add_option("--description", set.description, "Free text");
  set_cmd->add_option("--owner", set.owner, "Who answers for the data");
  set_cmd->add_option("--sensitivity", set.sensitivity, "public, internal, confidential or restricted");
  set_cmd->add_option("--tags", set.tags, "Tags (replaces the list)");
  set_cmd->add_option("--freshness", set.freshness_s, "Expected update interval in seconds; 0 removes it");
  set_cmd->add_option("--schema-policy", set.schema_policy,
                      "When a file's columns differ: evolve (add them), strict (refuse it) or new_dataset")
      ->check(CLI::IsMember({"evolve", "strict", "new_dataset"}));
  set_cmd->add_option("--column-sensitivity", set.column_sensitivity, "COLUMN=LEVEL, repeatable");
  std::string delete_name;
  auto* delete_cmd = catalog_cmd->add_subcommand("delete", "Delete a dataset and its files");
  delete_cmd->add_option("name", delete_name, "Dataset name")->required();

  IndexCommands index_commands(app);
  AutotuneCommands autotune_commands(app);
  ProfileCommands profile_commands(app);
  AuthCommands auth_commands(app);

  CLI11_PARSE(app, argc, argv);

  bool serving = serve_cmd->parsed();
  spdlog::set_level(spdlog::level::from_str(log_level.empty() ? (serving ? "info" : "warn") : log_level));
  auto config = LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "error: " << config.status().message() << "\n";
    return 1;
  }
  if (!data_dir.empty()) {
    config->data_dir = data_dir;
    std::erase_if(config->buckets, [](const BucketConfig& b) { return b.name == "primary" || b.name == "rescue"; });
    FinishBuckets(*config);
  }
  if (!host.empty()) config->host = host;
  config->insecure = insecure;
  if (port >= 0) config->port = port;

  if (serving) return RunServe(*config, serve);
  if (ingest_cmd->parsed()) return RunIngest(*config, ingest);
  if (query_cmd->parsed()) return RunQuery(*config, query);
  if (export_cmd->parsed()) return RunExport(*config, export_options);
  if (import_cmd->parsed()) return RunImport(*config, import);
  if (list_cmd->parsed()) return RunCatalogList(*config, list_json);
  if (show_cmd->parsed()) return RunCatalogShow(*config, show_name);
  if (set_cmd->parsed()) return RunCatalogSet(*config, set);
  if (delete_cmd->parsed()) return RunCatalogDelete(*config, delete_name);
  if (int rc = index_commands.Run(*config); rc >= 0) return rc;
  if (int rc = autotune_commands.Run(*config); rc >= 0) return rc;
  if (int rc = profile_commands.Run(*config); rc >= 0) return rc;
  if (int rc = auth_commands.Run(*config); rc >= 0) return rc;
  return 2;
}

}  // namespace lakehouse::cli
