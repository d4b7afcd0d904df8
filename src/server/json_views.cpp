#include "server/json_views.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace lakehouse::server {

using nlohmann::json;

json DatasetJson(const catalog::Manifest& m, TimePoint now) {
  json j = catalog::ManifestToJson(m);
  j["freshness"]["overdue"] = m.IsOverdue(now);
  j["files"] = json::array();
  if (!m.versions.empty()) {
    for (const auto& f : m.current().files) j["files"].push_back(f.key);
  }
  return j;
}

json DatasetSummaryJson(const catalog::Manifest& m, TimePoint now) {
  json j = catalog::ManifestHeadToJson(m, false);
  j["freshness"]["overdue"] = m.IsOverdue(now);
  json versions = json::array();
  for (const auto& v : m.versions) {
    versions.push_back(catalog::VersionToJson(v, false));
    versions.back()["file_count"] = v.files.size();
  }
  j["versions"] = std::move(versions);
  return j;
}

json IngestResultJson(const ingest::IngestResult& r) {
  return {{"dataset", r.manifest.name},
          {"no_op", r.no_op},
          {"message", r.message},
          {"format", r.manifest.lineage.source_system == "postgres" || r.manifest.lineage.source_system == "mysql"
                         ? r.manifest.lineage.source_system
                         : ingest::FormatName(r.format)},
          {"rows_written", r.rows_written},
          {"row_count", r.manifest.row_count()},
          {"version", r.manifest.versions.empty() ? 0 : r.manifest.current().number},
          {"file", r.file_key},
          {"job_id", r.job_id},
          {"elapsed_ms", r.elapsed_ms},
          {"schema_diff", r.schema_diff ? catalog::SchemaDiffToJson(*r.schema_diff) : json()},
          {"warnings", r.warnings},
          {"null_columns", r.null_columns},
          // Without file lists: an append's answer must not grow with the files before it.
          {"manifest", DatasetSummaryJson(r.manifest, Now())}};
}

namespace {

void AppendEscaped(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendCell(std::string& out, const engine::Cell& cell) {
  struct Visitor {
    std::string& out;
    void operator()(std::monostate) { out += "null"; }
    void operator()(bool b) { out += b ? "true" : "false"; }
    void operator()(int64_t i) { out += std::to_string(i); }
    void operator()(uint64_t u) { out += std::to_string(u); }
    void operator()(double d) {
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest exact form
      out.append(buf, ec == std::errc() ? end : buf);
    }
    void operator()(const std::string& s) { AppendEscaped(out, s); }
    void operator()(const engine::RawJson& r) { out += r.text; }
  };
  std::visit(Visitor{out}, cell);
}

}  // namespace

nlohmann::json CellJson(const engine::Cell& cell) {
  if (auto* b = std::get_if<bool>(&cell)) return *b;
  if (auto* i = std::get_if<int64_t>(&cell)) return *i;
  if (auto* u = std::get_if<uint64_t>(&cell)) return *u;
  if (auto* d = std::get_if<double>(&cell)) return *d;
  if (auto* s = std::get_if<std::string>(&cell)) return *s;
  if (auto* r = std::get_if<engine::RawJson>(&cell)) {
    auto parsed = nlohmann::json::parse(r->text, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json(r->text) : parsed;
  }
  return nullptr;
}

std::string QueryJsonHead(const std::vector<engine::ResultColumn>& columns) {
  std::string out = "{\"columns\":[";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ',';
    out += "{\"name\":";
    AppendEscaped(out, columns[i].name);
    out += ",\"type\":";
    AppendEscaped(out, columns[i].type);
    out += '}';
  }
  return out + "],\"rows\":[";
}

void AppendQueryJsonRow(std::string& out, const std::vector<engine::Cell>& row, bool first) {
  if (!first) out += ',';
  out += '[';
  for (size_t c = 0; c < row.size(); ++c) {
    if (c) out += ',';
    AppendCell(out, row[c]);
  }
  out += ']';
}

std::string QueryJsonTail(const engine::QueryResult& r) {
  char tail[128];
  std::snprintf(tail, sizeof tail, "],\"row_count\":%lld,\"truncated\":%s,\"elapsed_ms\":%.3f",
                static_cast<long long>(std::max<int64_t>(r.row_count, static_cast<int64_t>(r.rows.size()))), r.truncated ? "true" : "false", r.elapsed_ms);
  std::string out = tail;
  if (r.truncated) {
    out += r.truncated_by_bytes
               ? ",\"truncated_by\":\"bytes\",\"message\":\"the rows stop at the response size cap ([query] "
                 "max_result_bytes); select fewer columns or rows, or export the whole result\"}"
               : ",\"truncated_by\":\"rows\",\"message\":\"the rows stop at the row cap ([query] max_result_rows or "
                 "max_rows); add a LIMIT, or export the whole result (POST /query/export)\"}";
  } else {
    out += '}';
  }
  return out;
}

std::string QueryResultJson(const engine::QueryResult& r) {
  std::string out = QueryJsonHead(r.columns);
  for (size_t row = 0; row < r.rows.size(); ++row) AppendQueryJsonRow(out, r.rows[row], row == 0);
  return out + QueryJsonTail(r);
}

}  // namespace lakehouse::server
