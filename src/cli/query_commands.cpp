// `query` and `export`: results printed whole, or written whole to a file.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/runtime.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "server/json_views.h"

namespace lakehouse::cli {

namespace {

using Clock = std::chrono::steady_clock;

std::string HumanBytes(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GB", n / double(1ull << 30));
  } else if (n >= (1ull << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MB", n / double(1ull << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f KB", n / 1024.0);
  }
  return buf;
}

// The format the user named, or the one the output file's name says.
Result<engine::ExportFormat> ExportFormatFor(const ExportOptions& options) {
  if (!options.format.empty()) return engine::ParseExportFormat(options.format);
  std::string ext = std::filesystem::path(options.output).extension().string();
  if (ext.size() > 1) {
    auto format = engine::ParseExportFormat(ext.substr(1));
    if (format.ok()) return format;
  }
  return engine::ExportFormat::kCsv;
}

}  // namespace

int RunQuery(const Config& config, const QueryOptions& options) {
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  // The server's row and byte caps are for HTTP responses: a CLI query
  // prints every row unless --max-rows asks for fewer. CSV and JSON are
  // written as the rows come, so memory stays flat.
  engine::QueryRequest request{options.sql, options.max_rows, -1};
  request.uncapped = true;
  CsvRowWriter csv(std::cout);
  JsonRowWriter json(std::cout);
  if (options.format == "csv") request.sink = &csv;
  if (options.format == "json") request.sink = &json;
  // One statement, then the process ends: build only the views it names.
  runtime.value()->query().UseLazyViews();
  auto result = runtime.value()->query().Run(request);
  if (!result.ok()) {
    std::cout.flush();
    return Fail(result.status());
  }
  if (options.format == "json") {
    json.Finish(*result);
  } else if (options.format == "table") {
    PrintTable(std::cout, *result);
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "error: the output could not be written whole\n";
    return 1;
  }
  if (result->truncated) {
    // Only --max-rows cuts a CLI result, and then it is what was asked for.
    std::cerr << "note: stopped at --max-rows " << options.max_rows << "; more rows exist\n";
  }
  return 0;
}

int RunExport(const Config& config, const ExportOptions& options) {
  if (options.dataset.empty() == options.sql.empty()) {
    return Fail(InvalidArgument("name a DATASET or give --sql, e.g. `lakehouse export orders -o orders.parquet`"));
  }
  auto format = ExportFormatFor(options);
  if (!format.ok()) return Fail(format.status());
  bool to_stdout = options.output.empty() || options.output == "-";
  if (to_stdout && *format == engine::ExportFormat::kParquet && ::isatty(STDOUT_FILENO)) {
    return Fail(InvalidArgument("Parquet is binary: write it to a file with -o FILE"));
  }
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto& query = runtime.value()->query();
  query.UseLazyViews();
  std::string sql = options.sql;
  if (!options.dataset.empty()) {
    auto select = query.SelectAllOf(options.dataset);
    if (!select.ok()) return Fail(select.status());
    sql = *select;
  }
  auto started = Clock::now();
  auto job = query.StartExport(sql, *format);
  if (!job.ok()) return Fail(job.status());
  bool tty = ::isatty(STDERR_FILENO);
  auto last_report = started;
  auto report = [&](bool force) {
    auto now = Clock::now();
    double secs = std::chrono::duration<double>(now - started).count();
    // A terminal gets a live line; a log gets one every 10 s of a long export.
    if (!force && (tty ? now - last_report < std::chrono::milliseconds(250)
                       : now - last_report < std::chrono::seconds(10))) {
      return;
    }
    last_report = now;
    double progress = (*job)->Progress();
    std::string done = progress >= 0 ? std::to_string(static_cast<int>(progress * 100)) + "%, " : "";
    std::fprintf(stderr, "%sexporting: %s%s written, %.0f s%s", tty ? "\r" : "", done.c_str(),
                 HumanBytes((*job)->BytesWritten()).c_str(), secs, tty ? "   " : "\n");
  };
  Status status;
  if (to_stdout) {
    std::string buf(1 << 20, '\0');
    while (true) {
      auto got = (*job)->Read(buf.data(), buf.size());
      if (!got.ok()) {
        status = got.status();
        break;
      }
      if (*got == 0) break;
      if (std::fwrite(buf.data(), 1, *got, stdout) != *got) {
        // A reader that stopped early (`| head`): quiet, as the shell's own tools are.
        if (tty) std::fprintf(stderr, "\r\033[K");
        return 141;
      }
      report(false);
    }
    std::fflush(stdout);
  } else {
    while (!(*job)->WaitFor(std::chrono::milliseconds(100))) report(false);
    status = (*job)->MoveTo(options.output);
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!status.ok()) {
    if (!to_stdout) std::cerr << "error: " << status.message() << " (" << options.output << " was not written)\n";
    else std::cerr << "error: " << status.message() << " (the output is incomplete)\n";
    return 1;
  }
  double secs = std::chrono::duration<double>(Clock::now() - started).count();
  std::fprintf(stderr, "exported %s rows (%s, %s) to %s in %.2f s\n", HumanCount((*job)->rows()).c_str(),
               engine::ExportFormatName(*format), HumanBytes((*job)->BytesWritten()).c_str(),
               to_stdout ? "stdout" : options.output.c_str(), secs);
  return 0;
}

}  // namespace lakehouse::cli
