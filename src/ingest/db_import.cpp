// Ingestor::ImportDatabase: source database -> CSV chunks -> DuckDB ->
// Parquet parts. The export writes chunk N+1 while DuckDB converts chunk N
// with all its threads (a seekable file, unlike a pipe, lets DuckDB parse in
// parallel), so the import takes little longer than the export alone, and
// neither the rows nor the CSV are ever held whole.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/names.h"
#include "ingest/ingestor.h"

namespace lakehouse::ingest {

namespace {

using Clock = std::chrono::steady_clock;

// Converts CSV chunks into Parquet parts on its own thread while the export
// writes the next chunk. At most kMaxPending chunks wait on disk, so a slow
// conversion slows the export instead of filling the disk.
class ChunkConverter {
 public:
  struct Part {
    std::unique_ptr<TempFileGuard> file;
    int64_t rows = 0;
  };

  ChunkConverter(engine::Database& db, std::string copy_template, fs::path staging)
      : db_(db), copy_template_(std::move(copy_template)), staging_(std::move(staging)),
        thread_([this] { Loop(); }) {}
  ~ChunkConverter() { (void)Finish(); }

  // Hands over a finished chunk; false when the conversion has failed.
  bool Submit(fs::path chunk) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < kMaxPending || !status_.ok(); });
    if (!status_.ok()) {
      std::error_code ec;
      fs::remove(chunk, ec);
      return false;
    }
    queue_.push_back(std::move(chunk));
    ready_.notify_one();
    return true;
  }
  Status Finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  std::vector<Part>& parts() { return parts_; }

 private:
  static constexpr size_t kMaxPending = 2;

  void Loop() {
    auto conn = db_.Connect();
    while (true) {
      fs::path chunk;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        chunk = std::move(queue_.front());
        queue_.pop_front();
      }
      space_.notify_one();
      TempFileGuard chunk_guard(chunk);
      Status s = conn.ok() ? Status::Ok() : conn.status();
      Part part;
      if (s.ok()) {
        part.file = std::make_unique<TempFileGuard>(UniqueTempPath(staging_, "import"));
        auto copy = [&](const std::string& line_option) {
          std::string sql = copy_template_;
          sql.replace(sql.find("{in}"), 4, QuoteLiteral(chunk.string()));
          sql.replace(sql.find("{line}"), 6, line_option);
          sql.replace(sql.find("{out}"), 5, QuoteLiteral(part.file->path().string()));
          return (*conn)->Query(sql);
        };
        // A larger line limit slows every chunk down (bigger buffers), so it
        // is only used for a chunk that holds a row longer than the default.
        auto copied = copy("");
        if (!copied.ok() && copied.status().message().find("line size") != std::string::npos) {
          copied = copy(", max_line_size = 268435456, buffer_size = 536870912");
        }
        if (copied.ok()) {
          part.rows = copied->rows.empty() ? 0 : copied->Int(0, 0);
        } else {
          s = copied.status();
        }
      }
      std::lock_guard lock(mutex_);
      if (!s.ok()) {
        if (status_.ok()) status_ = s;
        space_.notify_all();
        continue;  // keep draining so Submit never blocks forever
      }
      parts_.push_back(std::move(part));
    }
  }

  engine::Database& db_;
  std::string copy_template_;
  fs::path staging_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<fs::path> queue_;  // GUARDED_BY(mutex_)
  bool done_ = false;           // GUARDED_BY(mutex_)
  Status status_;               // GUARDED_BY(mutex_)
  std::vector<Part> parts_;     // GUARDED_BY(mutex_)
  std::thread thread_;
};

// Writes the export into chunk files cut at row boundaries, each handed to
// the converter when full.
class ChunkWriter {
 public:
  ChunkWriter(ChunkConverter& converter, fs::path staging) : converter_(converter), staging_(std::move(staging)) {
    buffer_.reserve(kFlushBytes + 65536);
  }
  ~ChunkWriter() { Abandon(); }

  bool AppendRow(const char* data, size_t len) {
    if (fd_ < 0 && !Open()) return false;
    buffer_.append(data, len);
    if (buffer_.size() >= kFlushBytes && !Flush()) return false;
    if (written_ + buffer_.size() >= ChunkLimit()) return Close(true);
    return true;
  }
  // Hands over the last chunk (an empty one when there were no rows, so the
  // dataset still gets its columns).
  bool Finish() {
    if (fd_ < 0 && chunks_ > 0) return true;
    if (fd_ < 0 && !Open()) return false;
    return Close(true);
  }
  const Status& status() const { return status_; }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;

  // Only the last chunk's conversion is not hidden behind the export, so
  // chunks start small (a short tail for small tables) and grow (fewer
  // Parquet files for big ones).
  size_t ChunkLimit() const { return chunks_ < 8 ? (16u << 20) : (64u << 20); }

  bool Open() {
    path_ = UniqueTempPath(staging_, "chunk");
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) status_ = Internal(std::string("cannot create a staging chunk: ") + std::strerror(errno));
    written_ = 0;
    return fd_ >= 0;
  }
  bool Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status_ = Internal(std::string("cannot write a staging chunk: ") + std::strerror(errno));
        return false;
      }
      done += static_cast<size_t>(n);
    }
    written_ += buffer_.size();
    buffer_.clear();
    return true;
  }
  bool Close(bool submit) {
    bool ok = Flush();
    ::close(fd_);
    fd_ = -1;
    ++chunks_;
    if (!ok || !submit) {
      std::error_code ec;
      fs::remove(path_, ec);
      return false;
    }
    if (!converter_.Submit(path_)) {
      status_ = Internal("the conversion failed");
      return false;
    }
    return true;
  }
  void Abandon() {
    if (fd_ >= 0) Close(false);
  }

  ChunkConverter& converter_;
  fs::path staging_;
  fs::path path_;
  int fd_ = -1;
  size_t written_ = 0;
  int chunks_ = 0;
  std::string buffer_;
  Status status_;
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

  std::string csv_columns, select;
  for (size_t i = 0; i < source_columns.size(); ++i) {
    std::string raw = "c" + std::to_string(i);
    csv_columns += (i ? ", " : "") + QuoteLiteral(raw) + ": " + QuoteLiteral(source_columns[i].csv_type);
    std::string expr = source_columns[i].duck_expr;
    expr.replace(expr.find("{}"), 2, QuoteIdent(raw));
    select += (i ? ", " : "") + expr + " AS " + QuoteIdent(source_columns[i].name);
  }
  std::string copy_template = "COPY (SELECT " + select + " FROM read_csv({in}, columns = {" + csv_columns +
                              "}, header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                              "allow_quoted_nulls = false, strict_mode = true{line})) "
                              "TO {out} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION v2)";
  ChunkConverter converter(*db_, copy_template, store->StagingDir());
  Result<int64_t> exported = Internal("the export did not run");
  {
    ChunkWriter writer(converter, store->StagingDir());
    int64_t sent = 0;
    auto last_report = Clock::now();
    exported = source->ExportCsv(spec, source_columns, [&](const char* data, size_t len) {
      ++sent;
      if (request.on_progress && Clock::now() - last_report > std::chrono::milliseconds(250)) {
        last_report = Clock::now();
        request.on_progress(sent, std::chrono::duration<double>(last_report - started).count());
      }
      return writer.AppendRow(data, len);
    });
    if (exported.ok() && !writer.Finish()) exported = writer.status();
    if (!exported.ok() && !writer.status().ok()) exported = writer.status();
  }
  auto since = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - started).count(); };
  spdlog::debug("import {}: export done after {:.0f} ms", SourceLabel(spec), since());
  Status converted = converter.Finish();
  spdlog::debug("import {}: conversion done after {:.0f} ms", SourceLabel(spec), since());
  if (!converted.ok()) {
    return InvalidArgument("cannot convert " + SourceLabel(spec) + " from " + request.connection.system + ": " +
                           converted.message());
  }
  if (!exported.ok()) return exported.status();
  auto& parts = converter.parts();
  int64_t rows = 0;
  std::string part_list;
  for (const auto& p : parts) {
    rows += p.rows;
    part_list += (part_list.empty() ? "" : ", ") + QuoteLiteral(p.file->path().string());
  }
  if (rows != *exported || parts.empty()) {
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

  LH_ASSIGN_OR_RETURN(auto columns, DescribeColumns(parts.front().file->path()));
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
                                             ") AS VARCHAR) FROM read_parquet([" + part_list + "])"));
    if (!max.rows.empty() && !std::holds_alternative<std::monostate>(max.rows[0][0])) last_value = max.Text(0, 0);
  }

  spdlog::debug("import {}: described after {:.0f} ms", SourceLabel(spec), since());
  StagedData staged;
  staged.name = name;
  staged.bucket = request.bucket;
  staged.store = store;
  for (const auto& p : parts) staged.parts.push_back({p.file.get(), p.rows, fs::file_size(p.file->path())});
  staged.columns = std::move(columns);
  staged.replace = !spec.after_value;
  staged.lineage = {request.connection.system, SourceLabel(spec), request.connection.Endpoint(),
                    request.connection.database, result.job_id, Now()};
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
