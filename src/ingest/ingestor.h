// The ingest pipeline: one input file in, one Parquet file (zstd) in the
// dataset's bucket out, and the manifest updated with columns, PII flags,
// lineage and row counts. Nothing stored changes unless every step succeeds:
// the Parquet file is written to the bucket's staging area first and only
// moved into place, with the manifest, once it is complete.
//
// Thread-safe: concurrent ingests convert in parallel and serialise only on
// the catalog's manifest update.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>

#include "ai/llm_client.h"
#include "catalog/catalog.h"
#include "catalog/schema_diff.h"
#include "common/files.h"
#include "common/foreground.h"
#include "connectors/source.h"
#include "engine/database.h"
#include "engine/watchdog.h"
#include "ingest/format.h"
#include "ingest/reader_options.h"
#include "ingest/nesting.h"
#include "storage/bucket_registry.h"

namespace lakehouse::ingest {

enum class WriteMode { kAppend, kReplace };
Result<WriteMode> ParseWriteMode(std::string_view name);  // "append" | "replace"

struct IngestRequest {
  std::filesystem::path file;   // the bytes to ingest (a spooled upload or a local file)
  std::string file_name;        // the name the user knows it by, for lineage and naming
  std::string dataset;          // empty: derived from file_name
  std::string bucket = "primary";
  WriteMode mode = WriteMode::kAppend;
  std::optional<Format> format;  // empty: detected from the content
  std::string source_system = "file";  // upload, file, inbox
  std::string sha256;                  // of the file, if the caller already hashed it
  ReaderOptions reader;                // how to read it where detection is not enough
  // An append whose columns share none with the dataset's is refused
  // (Conflict, with both lists) unless the caller says it means it.
  bool allow_disjoint = false;
  // Called about every 250 ms while the file converts, with the share done (0..1).
  std::function<void(double)> on_progress;
};

struct IngestResult {
  catalog::Manifest manifest;
  std::optional<catalog::SchemaDiff> schema_diff;  // when the columns changed
  bool no_op = false;   // the same bytes were already ingested under this name
  std::string message;  // what happened, for people
  Format format = Format::kCsv;
  int64_t rows_written = 0;
  std::string file_key;  // the Parquet object written, empty on no-op
  std::string job_id;
  double elapsed_ms = 0;
  std::vector<std::string> warnings;      // what was decided for the user, what looks wrong
  std::vector<std::string> null_columns;  // existing columns the appended rows have no values for
};

struct IngestOptions {
  int pii_sample_rows = 1000;
  int threads = 0;  // DuckDB threads for conversion; 0: all cores
  ai::LlmOptions llm;  // asked for migration rules when configured
  int max_json_depth = kDefaultMaxJsonDepth;  // deeper JSON input is refused (ingest/nesting.h)
  int64_t timeout_ms = 3600000;  // one file's conversion, or one database import, at most
  std::string memory_limit;              // DuckDB's for conversions; empty: its default
  std::filesystem::path temp_directory;  // where conversions spill; empty: DuckDB's default
  // File conversions running at once; more wait their turn. Each one keeps
  // the cores busy, so more at once only slows the queries down.
  int max_concurrent = 2;
};

// A database table or query to import (see connectors/source.h).
struct DbImportRequest {
  connectors::ConnectionParams connection;
  connectors::ImportSpec spec;
  std::string dataset;  // empty: the table's name
  std::string bucket = "primary";
  // Called about every 250 ms with rows exported so far, on a DuckDB worker
  // thread (one call at a time).
  std::function<void(int64_t rows, double seconds)> on_progress;
};

class Ingestor {
 public:
  Ingestor(catalog::Catalog& catalog, storage::BucketRegistry& buckets, IngestOptions options);
  Status Open();

  Result<IngestResult> Ingest(const IngestRequest& incoming);

  // Streams a table or query into a new version of the dataset (or, with an
  // incremental column, appends only rows past the last imported value).
  // Rows go source -> CSV chunks on disk -> DuckDB -> one Parquet file per
  // chunk, the export and the conversion overlapping, so memory stays flat
  // whatever the table size.
  Result<IngestResult> ImportDatabase(const DbImportRequest& request);

  // Called after new data is committed to a dataset (not for no-ops), on
  // the ingesting thread: how refresh policies learn of appends. Set once,
  // before ingests start.
  void SetOnCommitted(std::function<void(const std::string& dataset)> callback) {
    on_committed_ = std::move(callback);
  }
  // Every ingest and import counts as foreground work while it runs (the
  // autotune agent waits for none); set before the first.
  void SetForeground(ForegroundLoad* load) { foreground_ = load; }
  // Which LLM to ask for migration rules at the time of asking (the active
  // model profile's, when it has one); unset: IngestOptions::llm. Set once,
  // before ingests start.
  void SetLlmSource(std::function<ai::LlmOptions()> source) { llm_source_ = std::move(source); }

 private:
  // How often the disk writes of a Parquet file being converted are started
  // (common/files.h WritebackPump), so its fsync at commit is short.
  static constexpr std::chrono::milliseconds kWritebackInterval{200};
  // Reading a staged file's first rows back takes milliseconds; far longer
  // means its types are too costly to read (ingest/nesting.h).
  static constexpr int64_t kProbeRows = 2048;
  static constexpr std::chrono::milliseconds kProbeTimeout{10000};
  // A Parquet file written to staging, ready to become part of a dataset.
  struct StagedData {
    std::string name;
    std::string bucket;
    std::shared_ptr<storage::ObjectStore> store;
    struct Part {
      TempFileGuard* file = nullptr;
      int64_t rows = 0;
      uint64_t bytes = 0;
    };
    std::vector<Part> parts;  // one Parquet file each, in order
    std::vector<catalog::ColumnMeta> columns;
    std::string sha256;
    uint64_t source_bytes = 0;
    bool replace = false;  // a new version rather than a file added to the current one
    catalog::Lineage lineage;
    std::optional<catalog::SchemaDiff> schema_diff;  // set when the columns changed
    std::function<bool(const catalog::Manifest&)> is_duplicate;  // optional
    bool allow_disjoint = false;            // an append sharing no column is stored anyway
    std::vector<std::string> null_columns;  // set by ApplySchemaPolicy for appends
    // Checked under the catalog lock against the stored manifest; a failure aborts with no change.
    std::function<Status(const catalog::Manifest&)> precondition;  // optional
    std::function<void(catalog::Manifest&)> annotate;            // optional, last word on the manifest
  };
  // Moves the staged file into the bucket and updates the manifest, under the
  // catalog's write lock. Sets *duplicate (and changes nothing) when
  // is_duplicate says the data is already there.
  Result<catalog::Manifest> Commit(const StagedData& staged, std::string* file_key, bool* duplicate);
  Result<catalog::Manifest> CommitToCatalog(const StagedData& staged, std::string* file_key, bool* duplicate);
  // When the staged columns differ from the dataset's: computes the diff
  // (with sampled values for rename detection) and applies the dataset's
  // schema policy: Conflict for strict, another dataset name for
  // new_dataset, else the diff to record with the data.
  Status ApplySchemaPolicy(StagedData& staged);
  catalog::ColumnSamples SampleColumns(const std::vector<std::filesystem::path>& files,
                                       const std::vector<catalog::ColumnMeta>& columns);

  struct Converted;
  Result<Converted> Convert(const IngestRequest& request, Format format, const std::string& doc_id,
                            const std::filesystem::path& staging_dir);
  Result<std::vector<catalog::ColumnMeta>> DescribeColumns(const std::filesystem::path& parquet);
  // A Parquet input whose columns nest too deeply is refused before DuckDB reads a row of it.
  Status CheckParquetInput(engine::Connection& conn, const IngestRequest& request);
  // Reads the first rows of a staged file back the way the query engine
  // will (union_by_name scan, nested values rendered as JSON), so a file
  // DuckDB writes but cannot read never becomes part of a dataset.
  Status ProbeReadBack(const std::filesystem::path& parquet, const std::string& what);

  catalog::Catalog& catalog_;
  storage::BucketRegistry& buckets_;
  IngestOptions options_;
  std::shared_ptr<engine::Database> db_;
  std::unique_ptr<engine::Watchdog> watchdog_;
  std::unique_ptr<std::counting_semaphore<1024>> conversions_;
  ForegroundLoad* foreground_ = nullptr;
  std::function<void(const std::string&)> on_committed_;
  std::function<ai::LlmOptions()> llm_source_;
};

}  // namespace lakehouse::ingest
