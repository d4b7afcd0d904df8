#include "engine/export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/files.h"

namespace lakehouse::engine {

namespace {

struct FormatInfo {
  ExportFormat format;
  const char* name;
  const char* content_type;
  const char* extension;
  const char* copy_options;
};

// USE_TMP_FILE false: the spool file is written in place, so a reader that
// opened it first sees every byte (DuckDB would otherwise write a sibling
// and rename it over ours at the end).
constexpr FormatInfo kFormats[] = {
    {ExportFormat::kCsv, "csv", "text/csv; charset=utf-8", ".csv", "FORMAT csv, HEADER true"},
    {ExportFormat::kTsv, "tsv", "text/tab-separated-values; charset=utf-8", ".tsv",
     "FORMAT csv, HEADER true, DELIMITER '\t'"},
    {ExportFormat::kParquet, "parquet", "application/vnd.apache.parquet", ".parquet",
     "FORMAT parquet, COMPRESSION zstd"},
    {ExportFormat::kJson, "json", "application/json", ".json", "FORMAT json, ARRAY true"},
    {ExportFormat::kNdjson, "ndjson", "application/x-ndjson", ".ndjson", "FORMAT json"},
};

const FormatInfo& Info(ExportFormat format) {
  for (const auto& f : kFormats) {
    if (f.format == format) return f;
  }
  return kFormats[0];
}

}  // namespace

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  for (const auto& f : kFormats) {
    if (name == f.name) return f.format;
  }
  if (name == "jsonl") return ExportFormat::kNdjson;
  return InvalidArgument("unknown export format '" + std::string(name) + "': use csv, tsv, parquet, json or ndjson");
}

const char* ExportFormatName(ExportFormat format) { return Info(format).name; }
const char* ExportContentType(ExportFormat format) { return Info(format).content_type; }
const char* ExportExtension(ExportFormat format) { return Info(format).extension; }
std::string ExportCopyOptions(ExportFormat format) {
  return std::string(Info(format).copy_options) + ", USE_TMP_FILE false";
}

ExportJob::ExportJob(std::filesystem::path spool, ExportFormat format, Connection* conn, std::shared_ptr<void> lease,
                     std::function<Result<int64_t>()> work)
    : spool_(std::move(spool)), format_(format), conn_(conn), lease_(std::move(lease)) {
  // Made here, new (O_EXCL: never a file or link someone put at this name)
  // and read through this descriptor only: DuckDB, confined to the export
  // folder, then writes into this very file, or fails.
  fd_ = ::open(spool_.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    int error = errno;
    Finish(error == ENOSPC || error == EDQUOT ? StorageFullError(error)
           : error == EEXIST || error == ELOOP
               ? Conflict("the export's spool file name was taken by something put in the export folder; try again")
               : Internal("cannot create the export file: " + std::string(std::strerror(error))));
    return;
  }
  thread_ = std::thread([this, work = std::move(work)] { Finish(work()); });
}

ExportJob::~ExportJob() {
  // A cancel that lands before DuckDB starts the COPY is lost; repeat it.
  while (true) {
    Cancel();
    std::unique_lock lock(mutex_);
    if (done_cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return done_; })) break;
  }
  if (thread_.joinable()) thread_.join();
  bool created = fd_ >= 0;
  if (fd_ >= 0) ::close(fd_);
  std::error_code ec;
  if (!moved_ && created) std::filesystem::remove(spool_, ec);  // never what someone else put there
}

void ExportJob::Finish(Result<int64_t> result) {
  {
    std::lock_guard lock(mutex_);
    if (result.ok()) {
      rows_ = *result;
    } else {
      status_ = cancelled_ ? Status(StatusCode::kTimeout, "the export was cancelled") : result.status();
    }
    conn_ = nullptr;
    done_ = true;
  }
  lease_.reset();  // the connection goes back to the pool, the slot to the next query
  done_cv_.notify_all();
}

Result<size_t> ExportJob::Read(char* buf, size_t n) {
  while (true) {
    bool finished;
    Status status;
    {
      std::lock_guard lock(mutex_);
      finished = done_;
      status = status_;
    }
    if (finished && !status.ok()) return status;
    if (fd_ < 0) return Internal("the export file is not open");
    // Read after looking at done_: bytes written before the end are never missed.
    ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset_));
    if (got < 0) {
      if (errno == EINTR) continue;
      return Internal("cannot read the export file: " + std::string(std::strerror(errno)));
    }
    if (got > 0) {
      offset_ += static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    }
    if (finished) return size_t{0};
    std::unique_lock lock(mutex_);
    done_cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return done_; });
  }
}

Status ExportJob::Wait() {
  std::unique_lock lock(mutex_);
  done_cv_.wait(lock, [&] { return done_; });
  return status_;
}

bool ExportJob::WaitFor(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return done_cv_.wait_for(lock, limit, [&] { return done_; });
}

Status ExportJob::MoveTo(const std::filesystem::path& dest) {
  LH_RETURN_IF_ERROR(Wait());
  if (::rename(spool_.c_str(), dest.c_str()) == 0) {
    std::lock_guard lock(mutex_);
    moved_ = true;
    return FsyncPath(dest.parent_path().empty() ? "." : dest.parent_path());
  }
  if (errno != EXDEV) {
    return InvalidArgument("cannot write " + dest.string() + ": " + std::strerror(errno));
  }
  // Another file system: copy beside the destination, then rename.
  auto parent = dest.parent_path().empty() ? std::filesystem::path(".") : dest.parent_path();
  auto tmp = UniqueTempPath(parent, dest.filename().string());
  std::error_code ec;
  std::filesystem::copy_file(spool_, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return ec.value() == ENOSPC ? StorageFullError(ENOSPC)
                                : InvalidArgument("cannot write " + dest.string() + ": " + ec.message());
  }
  Status moved = AtomicMoveInto(tmp, dest);
  if (!moved.ok()) std::filesystem::remove(tmp, ec);
  return moved;
}

void ExportJob::Cancel() {
  std::lock_guard lock(mutex_);
  if (done_ || !conn_) return;
  cancelled_ = true;
  conn_->Interrupt();
}

int64_t ExportJob::rows() const {
  std::lock_guard lock(mutex_);
  return rows_;
}

double ExportJob::Progress() const {
  std::lock_guard lock(mutex_);
  if (done_) return 1.0;
  return conn_ ? conn_->Progress() : -1;
}

uint64_t ExportJob::BytesWritten() const {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace lakehouse::engine
