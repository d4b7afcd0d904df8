// Ingestor::ImportDatabase: source database -> DuckDB vectors -> one
// Parquet file. DuckDB pulls rows from the export as it writes, one vector
// at a time (engine/row_stream.h): the source's CPU and ours overlap, and
// the rows are never held whole or written out as text in between.
#include <spdlog/spdlog.h>

#include <chrono>

#include "common/names.h"
#include "ingest/ingestor.h"

namespace lakehouse::ingest {

namespace {

using Clock = std::chrono::steady_clock;

// Reports progress while DuckDB pulls rows from the export.
class ProgressReporter final : public engine::RowProducer {
 public:
  ProgressReporter(connectors::RowExport& source, const DbImportRequest& request, Clock::time_point started)
      : source_(source), request_(request), started_(started), last_report_(started) {}
  Result<size_t> Fill(engine::ChunkSink& sink) override {
    auto filled = source_.Fill(sink);
    if (!filled.ok()) failed_ = true;
    if (request_.on_progress && Clock::now() - last_report_ > std::chrono::milliseconds(250)) {
      last_report_ = Clock::now();
      request_.on_progress(source_.rows(), std::chrono::duration<double>(last_report_ - started_).count());
    }
    return filled;
  }
  // The source, not DuckDB, failed.
  bool failed() const { return failed_; }

 private:
  connectors::RowExport& source_;
  const DbImportRequest& request_;
  Clock::time_point started_, last_report_;
  bool failed_ = false;
};

std::string DefaultName(const connectors::ImportSpec& spec) {
  return spec.table.empty() ? "" : NameFromFileName(spec.table);
}

std::string SourceLabel(const connectors::ImportSpec& spec) {
  if (!spec.query.empty()) return "query:" + Sha256Hex(spec.query).substr(0, 16);
  return (spec.schema.empty() ? "" : spec.schema + ".") + spec.table;
}

}  // namespace

Result<IngestResult> Ingestor::ImportDatabase(const DbImportRequest& request) {
  ForegroundLoad::Scope busy(foreground_);
  auto started = Clock::now();
  if (!db_) return Internal("ingestor is not open");
  IngestResult result;
  result.job_id = catalog::NewId("job");
  const connectors::ImportSpec& base_spec = request.spec;
  if (base_spec.table.empty() == base_spec.query.empty()) {
    return InvalidArgument("give either a table or a query to import");
  }
  std::string name = request.dataset.empty() ? DefaultName(base_spec) : request.dataset;
  if (name.empty()) return InvalidArgument("a query import needs a dataset name ('name')");
  LH_RETURN_IF_ERROR(ValidateName(name, "dataset name"));
  LH_ASSIGN_OR_RETURN(auto store, buckets_.Get(request.bucket));

  LH_ASSIGN_OR_RETURN(auto source, connectors::Connect(request.connection));
  connectors::ImportSpec spec = base_spec;
  LH_ASSIGN_OR_RETURN(auto source_columns, source->Describe(spec));
  if (source_columns.empty()) return InvalidArgument("the source has no columns");
  const connectors::SourceColumn* incremental = nullptr;
  for (const auto& c : source_columns) {
    if (c.name == spec.incremental_column) incremental = &c;
  }
  if (!spec.incremental_column.empty() && !incremental) {
    return InvalidArgument("the source has no column '" + spec.incremental_column + "' to import incrementally by");
  }
  auto existing = catalog_.Get(name);
  if (existing.ok() && incremental && existing->incremental_column == spec.incremental_column) {
    spec.after_value = existing->incremental_last_value;
  }

  auto since = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - started).count(); };
  TempFileGuard part(UniqueTempPath(store->StagingDir(), "import"));
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  LH_ASSIGN_OR_RETURN(auto exporter, source->Export(spec, source_columns));
  ProgressReporter reporter(*exporter, request, started);
  Result<int64_t> copied = Internal("the conversion did not run");
  {
    WritebackPump writeback(part.path(), kWritebackInterval);
    engine::Watchdog::Scope deadline(*watchdog_, *conn, std::chrono::milliseconds(options_.timeout_ms));
    copied = conn->CopyRowsToParquet(connectors::WireTypes(source_columns), reporter,
                                     connectors::DuckSelectList(source_columns), part.path(),
                                     "COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION v2");
  }
  Status finished = exporter->Finish();
  // Close the source now: its transaction holds a lock and a snapshot on the
  // source database, which must not wait for our commit.
  const bool source_failed = reporter.failed();
  const int64_t exported_rows = exporter->rows();
  exporter.reset();
  source.reset();
  spdlog::debug("import {}: export and conversion done after {:.0f} ms", SourceLabel(spec), since());
  if (!copied.ok()) {
    const Status& error = copied.status();
    // A value DuckDB cannot convert is the source's data: a 4xx naming it.
    // Anything else (disk full, out of memory, a timeout) keeps its code.
    bool bad_value = error.message().find("Conversion Error") != std::string::npos ||
                     error.message().find("Invalid Input Error") != std::string::npos;
    if (source_failed) return error;
    if (error.code() == StatusCode::kTimeout) {
      return Timeout("the import of " + SourceLabel(spec) + " took longer than " +
                     std::to_string(options_.timeout_ms / 1000) + " s ([ingest] timeout_ms); nothing was stored");
    }
    if (!bad_value) return Internal("cannot write the import of " + SourceLabel(spec) + ": " + error.message());
    return InvalidArgument("cannot convert " + SourceLabel(spec) + " from " + request.connection.system + ": " +
                           error.message());
  }
  LH_RETURN_IF_ERROR(finished);
  int64_t rows = *copied;
  if (rows != exported_rows) {
    return Internal("row count mismatch: the source sent " + std::to_string(exported_rows) + " rows, " +
                    std::to_string(rows) + " arrived; nothing was stored");
  }
  if (rows == 0 && spec.after_value && existing.ok()) {
    result.no_op = true;
    result.manifest = *existing;
    result.message = "no change: no rows in " + SourceLabel(spec) + " past " + spec.incremental_column + " = " +
                     *spec.after_value;
    return result;
  }

  LH_ASSIGN_OR_RETURN(auto columns, DescribeColumns(part.path()));
  for (auto& c : columns) {
    for (const auto& s : source_columns) {
      if (s.name != c.name) continue;
      c.source_type = s.source_type;
      c.note = s.note;
    }
  }
  std::optional<std::string> last_value = spec.after_value;
  if (incremental) {
    LH_ASSIGN_OR_RETURN(auto max, conn->Query("SELECT CAST(max(" + QuoteIdent(incremental->name) +
                                             ") AS VARCHAR) FROM read_parquet(" + QuoteLiteral(part.path().string()) +
                                             ")"));
    if (!max.rows.empty() && !std::holds_alternative<std::monostate>(max.rows[0][0])) last_value = max.Text(0, 0);
  }

  spdlog::debug("import {}: described after {:.0f} ms", SourceLabel(spec), since());
  StagedData staged;
  staged.name = name;
  staged.bucket = request.bucket;
  staged.store = store;
  staged.parts.push_back({&part, rows, fs::file_size(part.path())});
  staged.columns = std::move(columns);
  staged.replace = !spec.after_value;
  staged.lineage = {request.connection.system, SourceLabel(spec), request.connection.Endpoint(),
                    request.connection.database, result.job_id, Now()};
  // The SELECT as the user gave it: credentials live in the connection, never in it.
  staged.lineage.query = spec.query;
  if (incremental) {
    // Another import of the same rows may have finished meanwhile.
    staged.precondition = [&](const catalog::Manifest& m) -> Status {
      if (m.incremental_column == spec.incremental_column && m.incremental_last_value != spec.after_value) {
        return Conflict("another import of '" + m.name + "' finished first (" + spec.incremental_column + " is now " +
                        m.incremental_last_value.value_or("unset") + "); run the import again");
      }
      return Status::Ok();
    };
  }
  staged.annotate = [&](catalog::Manifest& m) {
    m.incremental_column = spec.incremental_column;
    m.incremental_last_value = incremental ? last_value : std::nullopt;
  };
  LH_RETURN_IF_ERROR(ApplySchemaPolicy(staged));
  result.schema_diff = staged.schema_diff;
  bool duplicate = false;
  LH_ASSIGN_OR_RETURN(result.manifest, Commit(staged, &result.file_key, &duplicate));
  result.rows_written = rows;
  result.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  result.message = std::string(spec.after_value ? "appended " : "imported ") + std::to_string(rows) + " rows from " +
                   request.connection.system + " " + SourceLabel(spec) + " into '" + result.manifest.name + "', version " +
                   std::to_string(result.manifest.current().number);
  spdlog::info("import {} {} ({}) -> {}: {} rows, {:.0f} ms", request.connection.system, SourceLabel(spec),
               request.connection.Redacted(), result.file_key, rows, result.elapsed_ms);
  return result;
}

}  // namespace lakehouse::ingest
