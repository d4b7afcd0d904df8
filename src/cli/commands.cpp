#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/runtime.h"
#include "common/files.h"
#include "cli/output.h"
#include "server/json_views.h"

namespace lakehouse::cli {

int RunIngest(const Config& config, const IngestOptions& options) {
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto mode = ingest::ParseWriteMode(options.mode);
  if (!mode.ok()) return Fail(mode.status());
  std::optional<ingest::Format> format;
  if (!options.format.empty()) {
    auto parsed = ingest::ParseFormat(options.format);
    if (!parsed.ok()) return Fail(parsed.status());
    format = *parsed;
  }
  auto reader = ingest::ReaderOptionsFromMap(options.reader, true);
  if (!reader.ok()) return Fail(reader.status());
  ingest::ApplyFormatName(options.format, *reader);
  // A folder stands for the files in it (not hidden ones, not below it), in name order.
  std::vector<std::filesystem::path> files;
  std::unique_ptr<TempFileGuard> stdin_copy;
  for (const auto& arg : options.files) {
    if (arg == "-") {
      if (options.name.empty() || options.format.empty()) {
        return Fail(InvalidArgument("reading stdin needs --name and --format, e.g. `... | lakehouse ingest - --name "
                                    "events --format ndjson`"));
      }
      auto tmp = config.data_dir / "_tmp";
      if (Status s = EnsureDirectory(tmp); !s.ok()) return Fail(s);
      stdin_copy = std::make_unique<TempFileGuard>(UniqueTempPath(tmp, "stdin"));
      std::FILE* out = std::fopen(stdin_copy->path().c_str(), "wb");
      if (!out) return Fail(Internal("cannot spool stdin into " + tmp.string()));
      char buf[1 << 16];
      size_t got;
      bool written = true;
      while ((got = std::fread(buf, 1, sizeof buf, stdin)) > 0) written = written && std::fwrite(buf, 1, got, out) == got;
      written = std::fclose(out) == 0 && written;
      if (!written) return Fail(StorageFullError(ENOSPC));
      files.push_back(stdin_copy->path());
    } else if (std::filesystem::is_directory(arg)) {
      std::vector<std::filesystem::path> inside;
      for (const auto& e : std::filesystem::directory_iterator(arg)) {
        if (e.is_regular_file() && e.path().filename().string().front() != '.') inside.push_back(e.path());
      }
      std::sort(inside.begin(), inside.end());
      if (inside.empty()) std::cerr << arg << ": no files in this folder\n";
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      files.push_back(arg);
    }
  }
  bool tty = ::isatty(STDERR_FILENO);
  int failures = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::filesystem::path& file = files[i];
    bool from_stdin = stdin_copy && file == stdin_copy->path();
    std::string shown = from_stdin ? "stdin" : file.filename().string();
    std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(files.size()) + "] " + shown;
    ingest::IngestRequest request;
    request.file = file;
    request.file_name = from_stdin ? options.name + "." + options.format : file.filename().string();
    request.reader = *reader;
    request.allow_disjoint = options.allow_disjoint;
    request.dataset = options.name;
    request.bucket = options.bucket;
    request.mode = *mode;
    request.format = format;
    request.source_system = "file";
    auto started = std::chrono::steady_clock::now();
    request.on_progress = [&](double done) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      double left = done > 0.01 ? secs * (1 - done) / done : 0;
      std::fprintf(stderr, "%s%s: %3.0f%% converted, %.0f s elapsed, ~%.0f s left%s", tty ? "\r" : "",
                   label.c_str(), done * 100, secs, left, tty ? "  " : "\n");
    };
    auto result = runtime.value()->ingestor().Ingest(request);
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (!result.ok()) {
      std::cerr << label << ": error: " << result.status().message() << "\n";
      ++failures;
      continue;
    }
    if (options.json) {
      std::cout << server::IngestResultJson(*result).dump() << "\n";
    } else if (result->no_op) {
      std::cout << label << ": " << result->message << "\n";
    } else {
      for (const auto& w : result->warnings) std::cerr << label << ": warning: " << w << "\n";
      if (!result->null_columns.empty()) {
        std::string names;
        for (const auto& c : result->null_columns) names += (names.empty() ? "" : ", ") + c;
        std::cerr << label << ": note: these rows have no values for " << names << " (NULL)\n";
      }
      double secs = result->elapsed_ms / 1000;
      std::printf("%s: %s rows (%s) -> %s v%d in %.2f s (%.0f rows/s)\n", label.c_str(),
                  HumanCount(result->rows_written).c_str(), ingest::FormatName(result->format),
                  result->manifest.name.c_str(), result->manifest.current().number, secs,
                  secs > 0 ? result->rows_written / secs : 0.0);
      for (const auto& c : result->manifest.columns) {
        if (c.is_pii) {
          std::printf("    PII %-24s %-10s %s\n", c.name.c_str(), catalog::PiiKindName(c.pii_kind),
                      (c.pii_name_reason.empty() ? c.pii_value_reason : c.pii_name_reason).c_str());
        }
      }
    }
  }
  return failures ? 1 : 0;
}

int RunImport(const Config& config, const ImportOptions& options) {
  auto params = connectors::ParseDsn(options.dsn);
  if (!params.ok()) return Fail(params.status());
  if (params->system != options.system) {
    return Fail(InvalidArgument("the DSN is for " + params->system + ", not " + options.system));
  }
  if (Status s = connectors::FillPassword(*params, options.password_file); !s.ok()) return Fail(s);
  if (options.list) {
    auto source = connectors::Connect(*params);
    if (!source.ok()) return Fail(source.status());
    auto tables = (*source)->ListTables();
    if (!tables.ok()) return Fail(tables.status());
    std::printf("%-20s %-40s %14s\n", "SCHEMA", "TABLE", "EST. ROWS");
    for (const auto& t : *tables) {
      std::printf("%-20s %-40s %14s\n", t.schema.c_str(), t.name.c_str(), HumanCount(t.estimated_rows).c_str());
    }
    return 0;
  }
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  ingest::DbImportRequest request;
  request.connection = *params;
  request.spec.table = options.table;
  auto dot = options.table.find('.');
  if (dot != std::string::npos) {
    request.spec.schema = options.table.substr(0, dot);
    request.spec.table = options.table.substr(dot + 1);
  }
  request.spec.query = options.query;
  request.spec.incremental_column = options.incremental_by;
  request.dataset = options.name;
  request.bucket = options.bucket;
  bool tty = ::isatty(STDERR_FILENO);
  request.on_progress = [&](int64_t rows, double secs) {
    std::fprintf(stderr, "%simporting: %s rows, %.0f rows/s%s", tty ? "\r" : "", HumanCount(rows).c_str(),
                 secs > 0 ? rows / secs : 0.0, tty ? "  " : "\n");
  };
  auto result = runtime.value()->ingestor().ImportDatabase(request);
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!result.ok()) return Fail(result.status());
  double secs = result->elapsed_ms / 1000;
  std::printf("%s in %.2f s (%.0f rows/s)\n", result->message.c_str(), secs, secs > 0 ? result->rows_written / secs : 0.0);
  for (const auto& c : result->manifest.columns) {
    if (!c.note.empty()) std::printf("    %-24s %-16s -> %-16s %s\n", c.name.c_str(), c.source_type.c_str(), c.type.c_str(), c.note.c_str());
  }
  return 0;
}

int RunCatalogList(const Config& config, bool json) {
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto datasets = runtime.value()->catalog().List();
  TimePoint now = Now();
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : datasets) list.push_back(server::DatasetJson(m, now));
    std::cout << list.dump(2) << "\n";
    return 0;
  }
  if (datasets.empty()) {
    std::cout << "no datasets yet: try `lakehouse ingest FILE`\n";
    return 0;
  }
  std::printf("%-28s %12s %4s %-13s %-12s %-8s %s\n", "NAME", "ROWS", "VER", "SENSITIVITY", "OWNER", "PII", "UPDATED");
  for (const auto& m : datasets) {
    int pii = 0;
    for (const auto& c : m.columns) pii += c.is_pii;
    std::printf("%-28s %12s %4d %-13s %-12s %-8d %s%s\n", m.name.c_str(), HumanCount(m.row_count()).c_str(),
                m.versions.empty() ? 0 : m.current().number, catalog::SensitivityName(m.sensitivity),
                m.owner.empty() ? "-" : m.owner.c_str(), pii, FormatTime(m.updated_at).c_str(),
                m.IsOverdue(now) ? "  OVERDUE" : "");
  }
  return 0;
}

int RunCatalogShow(const Config& config, const std::string& name) {
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto m = runtime.value()->catalog().Get(name);
  if (!m.ok()) return Fail(m.status());
  std::cout << server::DatasetJson(*m, Now()).dump(2) << "\n";
  return 0;
}

int RunCatalogSet(const Config& config, const CatalogSetOptions& options) {
  catalog::MetadataPatch patch;
  patch.description = options.description;
  patch.owner = options.owner;
  patch.tags = options.tags;
  patch.expected_update_interval_s = options.freshness_s;
  patch.schema_policy = options.schema_policy;
  if (options.sensitivity) {
    auto s = catalog::ParseSensitivity(*options.sensitivity);
    if (!s.ok()) return Fail(s.status());
    patch.sensitivity = *s;
  }
  for (const auto& pair : options.column_sensitivity) {
    auto eq = pair.find('=');
    if (eq == std::string::npos) return Fail(InvalidArgument("--column-sensitivity takes COLUMN=LEVEL, got '" + pair + "'"));
    auto s = catalog::ParseSensitivity(pair.substr(eq + 1));
    if (!s.ok()) return Fail(s.status());
    patch.column_sensitivity[pair.substr(0, eq)] = *s;
  }
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto m = runtime.value()->catalog().PatchMetadata(options.name, patch);
  if (!m.ok()) return Fail(m.status());
  std::cout << "updated " << m->name << "\n";
  return 0;
}

int RunCatalogDelete(const Config& config, const std::string& name) {
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto deleted = runtime.value()->DeleteDataset(name);
  if (!deleted.ok()) return Fail(deleted.status());
  std::cout << "deleted " << name << " (" << *deleted << " files removed)\n";
  return 0;
}

}  // namespace lakehouse::cli
