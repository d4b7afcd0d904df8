#include "ingest/ingestor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "catalog/pii.h"
#include "common/files.h"
#include "common/names.h"
#include "common/redact.h"
#include "common/ticker.h"
#include "ingest/decoded_file.h"
#include "ingest/documents.h"
#include "ingest/file_reader.h"
#include "ingest/nesting.h"

namespace lakehouse::ingest {

using catalog::ColumnMeta;
using catalog::Manifest;
using catalog::Sensitivity;

struct Ingestor::Converted {
  std::unique_ptr<TempFileGuard> parquet;
  int64_t rows = 0;
  std::vector<std::string> warnings;
  ReaderOptions options;  // as used, for lineage
};

namespace {

Sensitivity DefaultSensitivity(catalog::PiiKind kind) {
  switch (kind) {
    case catalog::PiiKind::kPhi:
    case catalog::PiiKind::kCredential: return Sensitivity::kRestricted;
    case catalog::PiiKind::kPii:
    case catalog::PiiKind::kFinancial: return Sensitivity::kConfidential;
    case catalog::PiiKind::kNone: return Sensitivity::kInternal;
  }
  return Sensitivity::kInternal;
}

// The more specific of two findings wins: PHI over financial over PII.
catalog::PiiKind Stronger(catalog::PiiKind a, catalog::PiiKind b) {
  auto rank = [](catalog::PiiKind k) {
    switch (k) {
      case catalog::PiiKind::kCredential: return 4;
      case catalog::PiiKind::kPhi: return 3;
      case catalog::PiiKind::kFinancial: return 2;
      case catalog::PiiKind::kPii: return 1;
      default: return 0;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

// Keeps user-set sensitivities and earlier PII findings of columns that
// survive; recomputes defaults for the rest.
std::vector<ColumnMeta> MergeColumns(const std::vector<ColumnMeta>& previous,
                                     std::vector<ColumnMeta> incoming, bool keep_previous_columns,
                                     const std::map<std::string, std::string>& renamed_from) {
  std::vector<ColumnMeta> out;
  if (keep_previous_columns) out = previous;
  for (auto& col : incoming) {
    ColumnMeta* existing = nullptr;
    for (auto& c : out) {
      if (c.name == col.name) existing = &c;
    }
    // A renamed column keeps what was known of it under its old name.
    auto rename = renamed_from.find(col.name);
    std::string previous_name = rename == renamed_from.end() ? col.name : rename->second;
    if (rename != renamed_from.end()) col.renamed_from = rename->second;
    const ColumnMeta* before = nullptr;
    for (const auto& c : previous) {
      if (c.name == previous_name) before = &c;
    }
    if (before) {
      if (!col.is_pii && before->is_pii) {
        col.is_pii = true;
        col.pii_kind = before->pii_kind;
        col.pii_name_reason = before->pii_name_reason;
        col.pii_value_reason = before->pii_value_reason;
      }
      if (before->sensitivity_overridden) {
        col.sensitivity = before->sensitivity;
        col.sensitivity_overridden = true;
      }
    }
    if (existing) {
      *existing = col;
    } else {
      out.push_back(col);
    }
  }
  return out;
}

}  // namespace

Result<WriteMode> ParseWriteMode(std::string_view name) {
  if (name == "append" || name.empty()) return WriteMode::kAppend;
  if (name == "replace") return WriteMode::kReplace;
  return InvalidArgument("mode '" + std::string(name) + "' is not append or replace");
}

Ingestor::Ingestor(catalog::Catalog& catalog, storage::BucketRegistry& buckets, IngestOptions options)
    : catalog_(catalog), buckets_(buckets), options_(options) {}

Status Ingestor::Open() {
  engine::DatabaseOptions db_options;
  db_options.threads = options_.threads;
  db_options.memory_limit = options_.memory_limit;
  db_options.temp_directory = options_.temp_directory;
  LH_ASSIGN_OR_RETURN(db_, engine::Database::Open(db_options));
  watchdog_ = std::make_unique<engine::Watchdog>();
  conversions_ = std::make_unique<std::counting_semaphore<1024>>(std::clamp(options_.max_concurrent, 1, 1024));
  return Status::Ok();
}

Result<Ingestor::Converted> Ingestor::Convert(const IngestRequest& request, Format format,
                                              const std::string& doc_id, const fs::path& staging_dir) {
  Converted out;
  SourceInput source{request.file, request.file_name, format, request.reader,
                     format == Format::kParquet ? Compression::kNone : DetectCompression(request.file), kTypedJsonDepth};
  std::vector<std::unique_ptr<TempFileGuard>> copies;  // decoded or split copies of the input
  auto copy_to = [&](const char* stem) {
    copies.push_back(std::make_unique<TempFileGuard>(UniqueTempPath(staging_dir, stem)));
    return copies.back()->path();
  };
  if (source.compression != Compression::kNone) LH_RETURN_IF_ERROR(CheckCompressed(source.path, request.file_name));
  if (source.options.encoding == Encoding::kCp1252 && format != Format::kParquet && format != Format::kPdf) {
    // DuckDB knows latin-1, not Windows-1252 (which has €, curly quotes and
    // dashes where latin-1 has control codes): decode it ourselves.
    fs::path utf8 = copy_to("utf8");
    LH_ASSIGN_OR_RETURN(auto decoded, Cp1252ToUtf8(source.path, utf8));
    if (decoded.undefined > 0) {
      out.warnings.push_back(GroupThousands(decoded.undefined) + (decoded.undefined == 1 ? " byte" : " bytes") +
                             " that cp1252 does not define (0x81, 0x8D, 0x8F, 0x90 or 0x9D; the first at byte " +
                             std::to_string(decoded.first_undefined_at) +
                             ") became U+FFFD; if the file is not cp1252, give its --encoding (latin-1, utf-8)");
    }
    source.path = utf8;
    source.compression = Compression::kNone;
  }
  if (format == Format::kText || format == Format::kPdf) {
    fs::path rows = copy_to("rows");
    auto written = format == Format::kText
                       ? TextToNdjson(source.path, doc_id, rows, source.options.text_records, source.options.text_separator)
                       : PdfToNdjson(source.path, doc_id, rows);
    if (!written.ok()) return written.status();
    source = SourceInput{rows, request.file_name, Format::kNdjson, {}, Compression::kNone, kTypedJsonDepth};
  }
  if (format == Format::kJsonArray || format == Format::kNdjson) {
    LH_RETURN_IF_ERROR(CheckJsonDepth(source.path, request.file_name, options_.max_json_depth));
  }
  LH_ASSIGN_OR_RETURN(SourcePlan plan, PlanSource(source));
  out.parquet = std::make_unique<TempFileGuard>(UniqueTempPath(staging_dir, "ingest"));
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  if (format == Format::kParquet) LH_RETURN_IF_ERROR(CheckParquetInput(*conn, request));
  std::optional<Ticker> progress;  // polls DuckDB's progress of the running COPY
  if (request.on_progress) {
    progress.emplace(std::chrono::milliseconds(250), [&] {
      double p = conn->Progress();
      if (p >= 0) request.on_progress(p);
    });
  }
  WritebackPump writeback(out.parquet->path(), kWritebackInterval);
  engine::Watchdog::Scope deadline(*watchdog_, *conn, std::chrono::milliseconds(options_.timeout_ms));
  auto copy = [&](const SourcePlan& p) {
    return conn->ExecuteCount("COPY (SELECT * FROM " + p.sql + ") TO " + QuoteLiteral(out.parquet->path().string()) +
                              " (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION v2)");
  };
  auto copied = copy(plan);
  if (!copied.ok() && copied.status().code() == StatusCode::kInvalidArgument) {
    // A second try when the file's shape says how (rows missing trailing
    // fields), else the reason in our words.
    LH_ASSIGN_OR_RETURN(plan, ReplanAfterError(source, plan, copied.status()));
    copied = copy(plan);
    if (!copied.ok() && copied.status().code() == StatusCode::kInvalidArgument) {
      return InvalidArgument("cannot read " + request.file_name + " as " + FormatName(format) + ": " +
                             ReaderErrorInOurWords(copied.status().message(), source.path.string(), request.file_name));
    }
  }
  if (copied.status().code() == StatusCode::kTimeout) {
    return Timeout("cannot ingest " + request.file_name + ": converting it took longer than " +
                   std::to_string(options_.timeout_ms / 1000) + " s ([ingest] timeout_ms)");
  }
  if (!copied.ok()) return copied.status();
  out.rows = *copied;
  out.warnings.insert(out.warnings.end(), plan.warnings.begin(), plan.warnings.end());
  out.options = std::move(plan.options);
  return out;
}

Status Ingestor::CheckParquetInput(engine::Connection& conn, const IngestRequest& request) {
  auto schema = conn.Query("SELECT num_children FROM parquet_schema(" + QuoteLiteral(request.file.string()) + ")");
  if (!schema.ok()) {
    return InvalidArgument("cannot read " + request.file_name + " as parquet: it is damaged or not a Parquet file");
  }
  std::vector<int64_t> children;
  for (size_t i = 0; i < schema->rows.size(); ++i) children.push_back(schema->Int(i, 0));
  if (ParquetSchemaDepth(children) > kMaxParquetSchemaDepth) {
    return InvalidArgument("cannot read " + request.file_name + ": its columns nest deeper than " +
                           std::to_string(kMaxTypeDepth) + " levels, the most lakehouse stores");
  }
  // The precise check, now that building the types is safe: the input's own
  // types, before a single row is read.
  auto described = conn.Query("DESCRIBE SELECT * FROM read_parquet(" + QuoteLiteral(request.file.string()) + ")");
  if (!described.ok()) return InvalidArgument("cannot read " + request.file_name + " as parquet: " + described.status().message());
  for (size_t i = 0; i < described->rows.size(); ++i) {
    LH_RETURN_IF_ERROR(CheckTypeDepth(described->Text(i, 0), described->Text(i, 1)));
  }
  return Status::Ok();
}

Result<std::vector<ColumnMeta>> Ingestor::DescribeColumns(const fs::path& parquet) {
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  std::string source = "read_parquet(" + QuoteLiteral(parquet.string()) + ")";
  LH_ASSIGN_OR_RETURN(auto described, conn->Query("DESCRIBE SELECT * FROM " + source));
  std::vector<ColumnMeta> columns;
  std::string text_columns;
  std::vector<size_t> text_index;
  for (size_t i = 0; i < described.rows.size(); ++i) {
    ColumnMeta c;
    c.name = described.Text(i, 0);
    c.type = described.Text(i, 1);
    LH_RETURN_IF_ERROR(CheckTypeDepth(c.name, c.type));
    catalog::PiiHit hit = catalog::ClassifyColumnName(c.name);
    if (hit.found()) {
      c.is_pii = true;
      c.pii_kind = hit.kind;
      c.pii_name_reason = hit.reason;
    }
    if (c.type == "VARCHAR") {
      text_columns += (text_columns.empty() ? "" : ", ") + QuoteIdent(c.name);
      text_index.push_back(i);
    }
    columns.push_back(std::move(c));
  }
  if (columns.empty()) return InvalidArgument("the input has no columns");
  if (!text_columns.empty() && options_.pii_sample_rows > 0) {
    LH_ASSIGN_OR_RETURN(auto sample, conn->Query("SELECT " + text_columns + " FROM " + source +
                                                 " LIMIT " + std::to_string(options_.pii_sample_rows)));
    for (size_t j = 0; j < text_index.size(); ++j) {
      std::vector<std::string> values;
      values.reserve(sample.rows.size());
      for (size_t r = 0; r < sample.rows.size(); ++r) {
        if (!std::holds_alternative<std::monostate>(sample.rows[r][j])) values.push_back(sample.Text(r, j));
      }
      catalog::PiiHit hit = catalog::ClassifyValues(values);
      if (!hit.found()) continue;
      ColumnMeta& c = columns[text_index[j]];
      c.is_pii = true;
      c.pii_kind = Stronger(c.pii_kind, hit.kind);
      c.pii_value_reason = hit.reason;
    }
  }
  for (auto& c : columns) c.sensitivity = DefaultSensitivity(c.pii_kind);
  return columns;
}

catalog::ColumnSamples Ingestor::SampleColumns(const std::vector<fs::path>& files,
                                              const std::vector<ColumnMeta>& columns) {
  catalog::ColumnSamples samples;
  if (files.empty() || columns.empty()) return samples;
  std::string list, select;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + QuoteLiteral(f.string());
  for (const auto& c : columns) select += (select.empty() ? "" : ", ") + ("CAST(" + QuoteIdent(c.name) + " AS VARCHAR)");
  auto conn = db_->Connect();
  if (!conn.ok()) return samples;
  auto rows = (*conn)->Query("SELECT " + select + " FROM read_parquet([" + list + "], union_by_name = true) LIMIT 200");
  if (!rows.ok()) return samples;
  for (size_t i = 0; i < columns.size(); ++i) {
    auto& values = samples[columns[i].name];
    for (size_t r = 0; r < rows->rows.size(); ++r) {
      if (!std::holds_alternative<std::monostate>(rows->rows[r][i])) values.push_back(rows->Text(r, i));
    }
  }
  return samples;
}

Status Ingestor::ApplySchemaPolicy(StagedData& staged) {
  auto existing = catalog_.Get(staged.name);
  if (!existing.ok() || existing->versions.empty()) return Status::Ok();
  const auto& before = existing->columns;
  bool same = before.size() == staged.columns.size();
  for (size_t i = 0; same && i < before.size(); ++i) {
    same = before[i].name == staged.columns[i].name && before[i].type == staged.columns[i].type;
  }
  if (same) return Status::Ok();
  auto store = buckets_.Get(existing->bucket);
  std::vector<fs::path> old_files, new_files;
  if (store.ok()) {
    for (const auto& f : existing->current().files) {
      if (auto p = (*store)->LocalPath(f.key)) old_files.push_back(*p);
    }
  }
  for (const auto& part : staged.parts) new_files.push_back(part.file->path());
  catalog::SchemaDiff diff = catalog::DiffSchemas(before, staged.columns, SampleColumns(old_files, before),
                                                  SampleColumns(new_files, staged.columns));
  if (!staged.replace) {
    std::vector<std::string> missing;
    size_t shared = 0;
    for (const auto& b : before) {
      bool found = false;
      for (const auto& a : staged.columns) found = found || a.name == b.name;
      shared += found;
      if (!found) missing.push_back(b.name);
    }
    if (shared == 0 && !staged.allow_disjoint) {
      auto names = [](const std::vector<ColumnMeta>& cols) {
        std::string out;
        for (const auto& c : cols) out += (out.empty() ? "" : ", ") + c.name;
        return out;
      };
      return Conflict("the file shares no column with dataset '" + staged.name + "' (the dataset has: " +
                      names(before) + "; the file has: " + names(staged.columns) +
                      "); nothing was stored. Ingest it under another name, replace the dataset (mode replace), "
                      "or append anyway (allow_disjoint=true, --allow-disjoint)");
    }
    staged.null_columns = std::move(missing);
    // An append keeps the old columns; only what it adds is a change.
    std::erase_if(diff.changes, [](const auto& c) { return c.kind == "removed"; });
    std::erase_if(diff.rules, [](const auto& r) { return r.kind == "drop"; });
  }
  if (diff.empty()) return Status::Ok();
  if (existing->schema_policy == "strict") {
    return Conflict("the schema of '" + staged.name + "' changed (" + diff.Summary() +
                    ") and its schema_policy is strict; nothing was stored");
  }
  if (existing->schema_policy == "new_dataset") {
    for (int n = existing->current().number + 1;; ++n) {
      std::string candidate = staged.name + "_v" + std::to_string(n);
      auto taken = catalog_.Get(candidate);
      if (taken.status().code() == StatusCode::kNotFound) {
        staged.name = candidate;
        break;
      }
      if (!taken.ok()) return taken.status().WithContext("schema_policy new_dataset");  // e.g. name too long
    }
    staged.replace = true;
  }
  ai::LlmOptions llm = llm_source_ ? llm_source_() : options_.llm;
  if (!llm.ollama_url.empty() && diff.HasUnresolved()) {
    std::string prompt = catalog::BuildMigrationPrompt(staged.name, before, staged.columns, diff);
    auto answer = ai::GenerateJson(llm, prompt);
    if (!answer.ok()) {
      diff.llm_status = "not asked: " + answer.status().message();
    } else if (auto rules = catalog::ParseMigrationRules(*answer, before, staged.columns); !rules.ok()) {
      diff.llm_status = "invalid answer, not used: " + rules.status().message();
    } else {
      diff.llm_rules = std::move(*rules);
      diff.llm_status = "proposed " + std::to_string(diff.llm_rules.size()) + " rules (validated)";
    }
  }
  staged.schema_diff = std::move(diff);
  return Status::Ok();
}

Status Ingestor::ProbeReadBack(const fs::path& parquet, const std::string& what) {
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  auto started = std::chrono::steady_clock::now();
  auto read = [&] {
    engine::Watchdog::Scope deadline(*watchdog_, *conn, kProbeTimeout);
    return conn->Query("SELECT * FROM read_parquet([" + QuoteLiteral(parquet.string()) +
                       "], union_by_name = true) LIMIT " + std::to_string(kProbeRows));
  }();
  bool too_slow = read.status().code() == StatusCode::kTimeout || std::chrono::steady_clock::now() - started > kProbeTimeout;
  if (read.ok() && !too_slow) return Status::Ok();
  std::string why = too_slow ? "reading its first rows back took longer than " +
                                   std::to_string(kProbeTimeout.count() / 1000) + " s"
                             : "the query engine cannot read it back (" + read.status().message() + ")";
  spdlog::warn("ingest {}: read-back probe failed: {}", what, read.ok() ? "too slow" : read.status().message());
  return InvalidArgument("cannot store " + what + ": " + why + "; nothing was stored");
}

Result<Manifest> Ingestor::Commit(const StagedData& staged, std::string* file_key, bool* duplicate) {
  for (const auto& part : staged.parts) {
    LH_RETURN_IF_ERROR(ProbeReadBack(part.file->path(), staged.lineage.source.empty() ? staged.name : staged.lineage.source));
  }
  auto stored = CommitToCatalog(staged, file_key, duplicate);
  if (stored.ok() && !*duplicate && on_committed_) on_committed_(stored->name);
  return stored;
}

Result<Manifest> Ingestor::CommitToCatalog(const StagedData& staged, std::string* file_key, bool* duplicate) {
  const std::string& name = staged.name;
  return catalog_.Mutate(name, [&](std::optional<Manifest> current) -> Result<Manifest> {
    Manifest m;
    if (current) {
      m = std::move(*current);
      if (staged.is_duplicate && staged.is_duplicate(m)) {
        *duplicate = true;
        return m;
      }
      if (staged.precondition) LH_RETURN_IF_ERROR(staged.precondition(m));
      if (m.bucket != staged.bucket) {
        return Conflict("dataset '" + name + "' lives in bucket '" + m.bucket +
                        "'; write into that bucket or choose another name");
      }
    } else {
      m.id = catalog::NewId("ds");
      m.created_at = Now();
      m.bucket = staged.bucket;
    }
    bool new_version = m.versions.empty() || staged.replace;
    if (!new_version) {
      for (const auto& col : staged.columns) {
        const ColumnMeta* before = m.FindColumn(col.name);
        if (before && before->type != col.type) {
          return Conflict("cannot append to '" + name + "': column '" + col.name + "' is " +
                          before->type + " in the dataset but " + col.type +
                          " in the new data; use mode=replace to store it as a new version");
        }
      }
    }
    int version_number = m.versions.empty() ? 1 : m.current().number + (new_version ? 1 : 0);
    if (new_version) {
      catalog::DatasetVersion v;
      v.number = version_number;
      v.created_at = Now();
      m.versions.push_back(std::move(v));
    }
    catalog::DatasetVersion& version = m.current();
    for (const auto& part : staged.parts) {
      std::string key = "datasets/" + name + "/" + std::to_string(version_number) + "-" +
                        std::to_string(version.files.size() + 1) + ".parquet";
      LH_RETURN_IF_ERROR(staged.store->PutStaged(part.file->path(), key));
      part.file->Release();
      version.files.push_back({key, part.rows, part.bytes, staged.sha256, Now(), staged.source_bytes});
      version.row_count += part.rows;
      *file_key = key;
    }
    std::map<std::string, std::string> renamed_from;
    if (staged.schema_diff) {
      for (const auto& c : staged.schema_diff->changes) {
        if (c.kind == "renamed") renamed_from[c.column] = c.old_column;
      }
      auto diff_json = catalog::SchemaDiffToJson(*staged.schema_diff);
      if (!new_version && version.schema_diff) {
        // Appended files add their changes to what the version already records.
        nlohmann::json merged = *version.schema_diff;
        for (const auto& c : diff_json["changes"]) merged["changes"].push_back(c);
        for (const auto& r : diff_json["rules"]) merged["rules"].push_back(r);
        merged["summary"] = merged["summary"].get<std::string>() + "; " + staged.schema_diff->Summary();
        diff_json = merged;
      }
      version.schema_diff = std::make_shared<const nlohmann::json>(std::move(diff_json));
    }
    m.columns = MergeColumns(m.columns, staged.columns, !new_version, renamed_from);
    version.columns = m.columns;
    if (!m.sensitivity_overridden) {
      m.sensitivity = Sensitivity::kInternal;
      for (const auto& c : m.columns) m.sensitivity = std::max(m.sensitivity, c.sensitivity);
    }
    m.lineage = staged.lineage;
    m.updated_at = Now();
    if (m.last_embedded_at && !m.embedding_stale_since) m.embedding_stale_since = Now();
    if (staged.annotate) staged.annotate(m);
    return m;
  }, catalog::Catalog::WriteKind::kAppend);
}

Result<IngestResult> Ingestor::Ingest(const IngestRequest& incoming) {
  ForegroundLoad::Scope busy(foreground_);
  auto started = std::chrono::steady_clock::now();
  if (!db_) return Internal("ingestor is not open");
  IngestResult result;
  result.job_id = catalog::NewId("job");
  std::string name = incoming.dataset.empty() ? NameFromFileName(incoming.file_name) : incoming.dataset;
  LH_RETURN_IF_ERROR(ValidateName(name, "dataset name"));
  LH_ASSIGN_OR_RETURN(auto store, buckets_.Get(incoming.bucket));
  auto existing = catalog_.Get(name);
  IngestRequest request = incoming;
  if (request.reader.empty() && existing.ok() && !existing->lineage.reader_options.empty()) {
    // More of the same dataset is read the way it was read before.
    auto kept = ReaderOptionsFromMap(existing->lineage.reader_options, false);
    if (kept.ok()) request.reader = std::move(*kept);
  }
  // The duplicate check compares what the bytes would become: the same
  // file read as another format or with other options is new data.
  auto detected = DetectFormat(request.file, request.file_name);
  if (request.format) {
    result.format = *request.format;
  } else {
    LH_ASSIGN_OR_RETURN(result.format, std::move(detected));
  }
  {
    std::string head = ReadDecodedHead(request.file, 2);  // the byte-order mark
    if (IsUtf16Be(head)) {
      return InvalidArgument("cannot read " + request.file_name + ": it is UTF-16 big-endian text; convert it to UTF-8 "
                             "first, e.g. iconv -f UTF-16BE -t UTF-8 FILE > FILE.utf8");
    }
    if (IsUtf16Le(head) && request.reader.encoding && *request.reader.encoding != Encoding::kUtf16) {
      return InvalidArgument("cannot read " + request.file_name +
                             ": its byte-order mark says it is UTF-16; leave out --encoding, or give utf-16");
    }
    if (IsUtf16Le(head) && result.format != Format::kCsv) {
      return InvalidArgument("cannot read " + request.file_name + ": UTF-16 text is read as CSV or TSV only; convert "
                             "it to UTF-8 first, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8");
    }
    // Its byte-order mark says how to read it; an encoding given says otherwise.
    if (IsUtf16Le(head) && !request.reader.encoding) request.reader.encoding = Encoding::kUtf16;
  }
  auto reader_map = request.reader.ToMap();
  bool plain_read = reader_map.empty() && (!detected.ok() || *detected == result.format);
  std::string options_text = FormatName(result.format);
  for (const auto& [k, v] : reader_map) options_text += "\n" + k + "=" + v;
  std::error_code size_error;
  uint64_t source_bytes = fs::file_size(request.file, size_error);
  if (size_error) return NotFound("cannot read " + request.file_name + ": " + size_error.message());
  if (existing.ok() && existing->bucket != request.bucket) {
    return Conflict("dataset '" + name + "' lives in bucket '" + existing->bucket +
                    "'; ingest into that bucket or choose another name");
  }
  // Hashing a large file costs as much as a tenth of its conversion. When no
  // stored file has this size the input cannot be a duplicate, so the hash is
  // computed beside the conversion instead of before it, in CPU time the
  // conversion leaves idle.
  bool may_be_duplicate = false;
  if (existing.ok() && !existing->versions.empty()) {
    for (const auto& f : existing->current().files) {
      may_be_duplicate |= f.MayHaveSourceOfSize(source_bytes);
    }
  }
  bool replacing = request.mode == WriteMode::kReplace;  // a replace always runs
  std::string sha256 = request.sha256;
  std::unique_ptr<BackgroundSha256> pending_hash;
  if (sha256.empty() && may_be_duplicate) {
    LH_ASSIGN_OR_RETURN(sha256, Sha256File(request.file));
  } else if (sha256.empty()) {
    pending_hash = std::make_unique<BackgroundSha256>(request.file);
  }
  // Plain reads keep the bare hash, as every file stored before options existed has.
  auto source_key = [&] { return plain_read ? sha256 : sha256 + "/" + Sha256Hex(options_text).substr(0, 16); };
  auto same_bytes = [&](const Manifest& m) {
    if (m.versions.empty() || replacing) return false;
    for (const auto& f : m.current().files) {
      if (f.HasSource(source_key())) return true;
    }
    return false;
  };
  if (existing.ok() && !sha256.empty() && same_bytes(*existing)) {
    result.no_op = true;
    result.manifest = *existing;
    result.message = "no change: these exact bytes are already in dataset '" + name + "'";
    return result;
  }

  conversions_->acquire();
  struct Release {
    std::counting_semaphore<1024>& slots;
    ~Release() { slots.release(); }
  } release{*conversions_};
  LH_ASSIGN_OR_RETURN(Converted converted, Convert(request, result.format, request.file_name,
                                                   store->StagingDir()));
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  };
  spdlog::debug("ingest {}: converted after {:.1f} ms", request.file_name, elapsed_ms());
  LH_ASSIGN_OR_RETURN(auto columns, DescribeColumns(converted.parquet->path()));
  spdlog::debug("ingest {}: columns and PII after {:.1f} ms", request.file_name, elapsed_ms());
  if (pending_hash) {
    LH_ASSIGN_OR_RETURN(sha256, pending_hash->Finish());
  }
  uint64_t bytes = fs::file_size(converted.parquet->path());

  StagedData staged;
  staged.name = name;
  staged.bucket = request.bucket;
  staged.store = store;
  staged.parts.push_back({converted.parquet.get(), converted.rows, bytes});
  staged.columns = std::move(columns);
  staged.sha256 = source_key();
  staged.source_bytes = source_bytes;
  staged.replace = request.mode == WriteMode::kReplace;
  staged.allow_disjoint = request.allow_disjoint;
  staged.lineage = {request.source_system, request.file_name, "", "", result.job_id, Now()};
  staged.lineage.format = FormatName(result.format);
  staged.lineage.reader_options = reader_map;
  staged.is_duplicate = same_bytes;
  result.warnings = converted.warnings;
  if (result.format == Format::kCsv && staged.columns.size() == 1 && converted.rows > 0) {
    result.warnings.push_back("the file came out as one column: if it has several, give its --delimiter");
  } else if (result.format == Format::kCsv && converted.rows == 0) {
    // One line read as a header and nothing else: JSON in a .csv, say, or a note.
    result.warnings.push_back("the file came out as a header and no rows: if it is not CSV, give its --format "
                              "(json, ndjson, text)");
  }
  LH_RETURN_IF_ERROR(ApplySchemaPolicy(staged));
  result.schema_diff = staged.schema_diff;
  result.null_columns = staged.null_columns;
  spdlog::debug("ingest {}: schema checked after {:.1f} ms", request.file_name, elapsed_ms());
  bool raced_no_op = false;
  auto stored = Commit(staged, &result.file_key, &raced_no_op);
  spdlog::debug("ingest {}: probed and committed after {:.1f} ms", request.file_name, elapsed_ms());
  if (!stored.ok()) return stored.status();
  result.manifest = std::move(*stored);
  if (raced_no_op) {
    result.no_op = true;
    result.message = "no change: these exact bytes are already in dataset '" + name + "'";
    return result;
  }
  result.rows_written = converted.rows;
  result.elapsed_ms = elapsed_ms();
  result.message = (request.mode == WriteMode::kReplace ? "replaced '" : "ingested into '") + result.manifest.name +
                   "': " + std::to_string(converted.rows) + " rows as " + FormatName(result.format) +
                   ", version " + std::to_string(result.manifest.current().number);
  if (!result.null_columns.empty()) {
    std::string names;
    for (const auto& c : result.null_columns) names += (names.empty() ? "" : ", ") + c;
    result.message += "; these rows have no values for " + names + " (NULL)";
  }
  spdlog::info("ingest {} ({}) -> {}: {} rows, {:.0f} ms", request.file_name, FormatName(result.format),
               result.file_key, converted.rows, result.elapsed_ms);
  return result;
}

}  // namespace lakehouse::ingest
