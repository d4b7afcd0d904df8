// Ingestor::ImportDatabase: source database -> CSV stream -> FIFO -> DuckDB
// -> Parquet. The export and the conversion run at the same time, one on each
// end of the FIFO, so neither the rows nor the CSV are ever held whole.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/names.h"
#include "ingest/ingestor.h"

namespace lakehouse::ingest {

namespace {

using Clock = std::chrono::steady_clock;

// Writes to the FIFO in large blocks: one write per row would cost more than the row.
class FifoWriter {
 public:
  explicit FifoWriter(int fd) : fd_(fd) { buffer_.reserve(kBlock + 4096); }
  ~FifoWriter() { Close(); }
  bool Append(const char* data, size_t len) {
    buffer_.append(data, len);
    return buffer_.size() < kBlock || Flush();
  }
  bool Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;  // EPIPE: the reader stopped (its error says why)
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static constexpr size_t kBlock = 1 << 20;
  int fd_;
  std::string buffer_;
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

  // The FIFO: DuckDB reads it as a CSV file while the export writes it.
  fs::path fifo = UniqueTempPath(store->StagingDir(), "import");
  if (::mkfifo(fifo.c_str(), 0600) != 0) return Internal(std::string("cannot create a FIFO: ") + std::strerror(errno));
  TempFileGuard fifo_guard(fifo);
  auto parquet = std::make_unique<TempFileGuard>(UniqueTempPath(store->StagingDir(), "import"));
  std::string csv_columns, select;
  for (size_t i = 0; i < source_columns.size(); ++i) {
    std::string raw = "c" + std::to_string(i);
    csv_columns += (i ? ", " : "") + QuoteLiteral(raw) + ": 'VARCHAR'";
    std::string expr = source_columns[i].duck_expr;
    expr.replace(expr.find("{}"), 2, QuoteIdent(raw));
    select += (i ? ", " : "") + expr + " AS " + QuoteIdent(source_columns[i].name);
  }
  std::string copy_sql = "COPY (SELECT " + select + " FROM read_csv(" + QuoteLiteral(fifo.string()) +
                         ", columns = {" + csv_columns +
                         "}, header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                         "allow_quoted_nulls = false, strict_mode = true, max_line_size = 33554432, "
                         "buffer_size = 67108864)) TO " +
                         QuoteLiteral(parquet->path().string()) + " (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)";
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  std::atomic<bool> reader_done{false};
  Result<engine::QueryResult> copied = Internal("the conversion did not run");
  std::thread reader([&] {
    copied = conn->Query(copy_sql);
    reader_done = true;
  });

  // Open the write end once DuckDB has opened the read end (or has failed).
  int fd = -1;
  while (fd < 0 && !reader_done) {
    fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Result<int64_t> exported = Internal("the conversion stopped before reading the export");
  if (fd >= 0) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FifoWriter writer(fd);
    int64_t rows = 0;
    auto last_report = Clock::now();
    exported = source->ExportCsv(spec, source_columns, [&](const char* data, size_t len) {
      ++rows;
      if (request.on_progress && Clock::now() - last_report > std::chrono::milliseconds(250)) {
        last_report = Clock::now();
        request.on_progress(rows, std::chrono::duration<double>(last_report - started).count());
      }
      return writer.Append(data, len);
    });
    if (exported.ok() && !writer.Flush()) exported = Internal("the conversion stopped reading the export");
    writer.Close();  // EOF for DuckDB
  }
  reader.join();
  if (!copied.ok()) {
    return InvalidArgument("cannot convert " + SourceLabel(spec) + " from " + request.connection.system + ": " +
                           copied.status().message());
  }
  if (!exported.ok()) return exported.status();
  int64_t rows = copied->rows.empty() ? 0 : copied->Int(0, 0);
  if (rows != *exported) {
    return Internal("row count mismatch: the source sent " + std::to_string(*exported) + " rows, " +
                    std::to_string(rows) + " arrived; nothing was stored");
  }
  if (rows == 0 && spec.after_value && existing.ok()) {
    result.no_op = true;
    result.manifest = *existing;
    result.message = "no change: no rows in " + SourceLabel(spec) + " past " + spec.incremental_column + " = " +
                     *spec.after_value;
    return result;
  }

  LH_ASSIGN_OR_RETURN(auto columns, DescribeColumns(parquet->path()));
  for (auto& c : columns) {
    for (const auto& s : source_columns) {
      if (s.name != c.name) continue;
      c.source_type = s.source_type;
      c.note = s.note;
    }
  }
  std::optional<std::string> last_value = spec.after_value;
  if (incremental) {
    LH_ASSIGN_OR_RETURN(auto conv, db_->Connect());
    LH_ASSIGN_OR_RETURN(auto max, conv->Query("SELECT CAST(max(" + QuoteIdent(incremental->name) +
                                             ") AS VARCHAR) FROM read_parquet(" +
                                             QuoteLiteral(parquet->path().string()) + ")"));
    if (!max.rows.empty() && !std::holds_alternative<std::monostate>(max.rows[0][0])) last_value = max.Text(0, 0);
  }

  StagedData staged;
  staged.name = name;
  staged.bucket = request.bucket;
  staged.store = store;
  staged.parquet = parquet.get();
  staged.rows = rows;
  staged.bytes = fs::file_size(parquet->path());
  staged.columns = std::move(columns);
  staged.replace = !spec.after_value;
  staged.lineage = {request.connection.system, SourceLabel(spec), request.connection.Endpoint(),
                    request.connection.database, result.job_id, Now()};
  staged.annotate = [&](catalog::Manifest& m) {
    m.incremental_column = spec.incremental_column;
    m.incremental_last_value = incremental ? last_value : std::nullopt;
  };
  bool duplicate = false;
  LH_ASSIGN_OR_RETURN(result.manifest, Commit(staged, &result.file_key, &duplicate));
  result.rows_written = rows;
  result.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  result.message = std::string(spec.after_value ? "appended " : "imported ") + std::to_string(rows) + " rows from " +
                   request.connection.system + " " + SourceLabel(spec) + " into '" + name + "', version " +
                   std::to_string(result.manifest.current().number);
  spdlog::info("import {} {} ({}) -> {}: {} rows, {:.0f} ms", request.connection.system, SourceLabel(spec),
               request.connection.Redacted(), result.file_key, rows, result.elapsed_ms);
  return result;
}

}  // namespace lakehouse::ingest
