// Whole query results written out as files: the export behind
// `lakehouse export` and POST /query/export. No row or byte cap; DuckDB's own
// writers (COPY) run the query in parallel into a spool file, which the
// reader follows while it grows, so the first bytes go out long before the
// last row is written, and memory stays flat however big the result.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "engine/database.h"

namespace lakehouse::engine {

enum class ExportFormat { kCsv, kTsv, kParquet, kJson, kNdjson };

Result<ExportFormat> ParseExportFormat(std::string_view name);
const char* ExportFormatName(ExportFormat format);
const char* ExportContentType(ExportFormat format);
const char* ExportExtension(ExportFormat format);  // ".csv", ".parquet"...
// The COPY options that write `format` (ours only: users never add options).
std::string ExportCopyOptions(ExportFormat format);

// One export running on its own thread. Read() follows the spool file as it
// grows; MoveTo() puts the finished file where the caller wants it.
// Destroying the job cancels it if still running and removes the spool file.
class ExportJob {
 public:
  // Work runs the COPY and returns the rows written. `conn` is the
  // connection it runs on (for progress and cancelling); `lease` keeps the
  // connection and the engine's slot until the work is done.
  ExportJob(std::filesystem::path spool, ExportFormat format, Connection* conn, std::shared_ptr<void> lease,
            std::function<Result<int64_t>()> work);
  ~ExportJob();
  ExportJob(const ExportJob&) = delete;
  ExportJob& operator=(const ExportJob&) = delete;

  // Up to `n` bytes after those already read. Waits while the export runs
  // and nothing new is written; 0 once everything is read. Fails with the
  // export's error (a reader must then treat what it got as incomplete).
  Result<size_t> Read(char* buf, size_t n);
  // Waits for the end; the export's status.
  Status Wait();
  // Waits up to `limit`; true once the export has ended.
  bool WaitFor(std::chrono::milliseconds limit);
  // After a successful Wait: renames (or copies, across file systems) the
  // file to `dest` atomically: `dest` is whole or untouched.
  Status MoveTo(const std::filesystem::path& dest);
  void Cancel();

  ExportFormat format() const { return format_; }
  int64_t rows() const;
  double Progress() const;  // 0..1, or -1 when DuckDB cannot tell
  uint64_t BytesWritten() const;

 private:
  void Finish(Result<int64_t> result);

  const std::filesystem::path spool_;
  const ExportFormat format_;
  int fd_ = -1;  // the spool file, opened before the COPY starts writing it
  uint64_t offset_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable done_cv_;
  Connection* conn_;                // GUARDED_BY(mutex_); null once the work ended
  bool done_ = false;               // GUARDED_BY(mutex_)
  bool moved_ = false;              // GUARDED_BY(mutex_)
  Status status_;                   // GUARDED_BY(mutex_)
  int64_t rows_ = 0;                // GUARDED_BY(mutex_)
  std::atomic<bool> cancelled_{false};
  std::shared_ptr<void> lease_;
  std::thread thread_;
};

}  // namespace lakehouse::engine
