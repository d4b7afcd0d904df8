#include "cli/commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/runtime.h"
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
  bool tty = ::isatty(STDERR_FILENO);
  int failures = 0;
  for (size_t i = 0; i < options.files.size(); ++i) {
    std::filesystem::path file = options.files[i];
    std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(options.files.size()) + "] " +
                        file.filename().string();
    ingest::IngestRequest request;
    request.file = file;
    request.file_name = file.filename().string();
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
  patch.refresh_policy = options.refresh_policy;
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
