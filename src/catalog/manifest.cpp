#include "catalog/manifest.h"
#include "common/json_fields.h"

#include "common/names.h"
#include "storage/object_store.h"

#include <nlohmann/json.hpp>
#include <random>

namespace lakehouse::catalog {

using nlohmann::json;

namespace {

constexpr const char* kSensitivityNames[] = {"public", "internal", "confidential", "restricted"};

std::string TimeOrEmpty(TimePoint t) { return t == TimePoint{} ? "" : FormatTime(t); }

TimePoint TimeField(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return {};
  auto t = ParseTime(j[key].get<std::string>());
  return t.ok() ? *t : TimePoint{};
}

std::optional<TimePoint> OptionalTime(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto t = ParseTime(j[key].get<std::string>());
  if (!t.ok()) return std::nullopt;
  return *t;
}

json OptionalTimeJson(const std::optional<TimePoint>& t) {
  return t ? json(FormatTime(*t)) : json(nullptr);
}

Sensitivity SensitivityField(const json& j, const char* key, Sensitivity fallback) {
  auto s = ParseSensitivity(j.value(key, std::string()));
  return s.ok() ? *s : fallback;
}

ColumnMeta ColumnFromJson(const json& j) {
  ColumnMeta c;
  c.name = j.value("name", "");
  c.type = j.value("type", "");
  c.sensitivity = SensitivityField(j, "sensitivity", Sensitivity::kInternal);
  c.sensitivity_overridden = j.value("sensitivity_overridden", false);
  c.is_pii = j.value("is_pii", false);
  c.pii_kind = PiiKindFromName(j.value("pii_kind", "none"));
  c.pii_name_reason = j.value("pii_name_reason", "");
  c.pii_value_reason = j.value("pii_value_reason", "");
  c.source_type = j.value("source_type", "");
  c.renamed_from = j.value("renamed_from", "");
  c.note = j.value("note", "");
  return c;
}

json FileToJson(const DataFile& f) {
  json j = {{"key", f.key}, {"rows", f.rows}, {"bytes", f.bytes},
            {"source_sha256", f.source_sha256}, {"added_at", TimeOrEmpty(f.added_at)},
            {"source_bytes", f.source_bytes}};
  if (!f.merged_sources.empty()) {
    json merged = json::array();
    for (const auto& s : f.merged_sources) merged.push_back({s.sha256, s.bytes});
    j["merged_sources"] = std::move(merged);
  }
  return j;
}

DataFile FileFromJson(const json& j) {
  DataFile f;
  f.key = j.value("key", "");
  f.rows = IntField<int64_t>(j, "rows", 0);
  f.bytes = IntField<uint64_t>(j, "bytes", 0);
  f.source_sha256 = j.value("source_sha256", "");
  f.added_at = TimeField(j, "added_at");
  f.source_bytes = IntField<uint64_t>(j, "source_bytes", 0);
  if (j.contains("merged_sources") && j["merged_sources"].is_array()) {
    for (const auto& s : j["merged_sources"]) {
      if (s.is_array() && s.size() == 2 && s[0].is_string() && s[1].is_number_unsigned()) {
        f.merged_sources.mutate().push_back({s[0].get<std::string>(), JsonInteger<uint64_t>(s[1], "merged_sources size")});
      }
    }
  }
  return f;
}

json ColumnsToJson(const std::vector<ColumnMeta>& columns) {
  json out = json::array();
  for (const auto& c : columns) out.push_back(ColumnToJson(c));
  return out;
}

std::vector<ColumnMeta> ColumnsFromJson(const json& j, const char* key) {
  std::vector<ColumnMeta> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& c : j[key]) out.push_back(ColumnFromJson(c));
  }
  return out;
}

}  // namespace

json DataFileToJson(const DataFile& f) { return FileToJson(f); }

static Result<DatasetVersion> VersionFromJsonOrThrow(const json& vj);

Result<DataFile> DataFileFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("a data file entry is not an object");
  try {
    DataFile f = FileFromJson(j);
    LH_RETURN_IF_ERROR(storage::ValidateKey(f.key));
    return f;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("a data file entry has a field of the wrong type: ") + e.what());
  }
}

const char* SensitivityName(Sensitivity s) { return kSensitivityNames[static_cast<int>(s)]; }

Result<Sensitivity> ParseSensitivity(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kSensitivityNames[i]) return static_cast<Sensitivity>(i);
  }
  return InvalidArgument("sensitivity '" + std::string(name) +
                         "' is not one of public, internal, confidential, restricted");
}

bool DataFile::HasSource(const std::string& sha256) const {
  if (sha256.empty()) return false;
  if (source_sha256 == sha256) return true;
  for (const auto& s : merged_sources) {
    if (s.sha256 == sha256) return true;
  }
  return false;
}

bool DataFile::MayHaveSourceOfSize(uint64_t bytes) const {
  if (merged_sources.empty()) return source_bytes == bytes || source_bytes == 0;
  for (const auto& s : merged_sources) {
    if (s.bytes == bytes || s.bytes == 0) return true;
  }
  return false;
}

bool Manifest::IsOverdue(TimePoint now) const {
  return expected_update_interval_s > 0 &&
         now - updated_at > std::chrono::seconds(expected_update_interval_s);
}

const ColumnMeta* Manifest::FindColumn(std::string_view column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

json ColumnToJson(const ColumnMeta& c) {
  return {{"name", c.name},
          {"type", c.type},
          {"sensitivity", SensitivityName(c.sensitivity)},
          {"sensitivity_overridden", c.sensitivity_overridden},
          {"is_pii", c.is_pii},
          {"pii_kind", PiiKindName(c.pii_kind)},
          {"pii_name_reason", c.pii_name_reason},
          {"pii_value_reason", c.pii_value_reason},
          {"source_type", c.source_type},
          {"renamed_from", c.renamed_from},
          {"note", c.note}};
}

json VersionToJson(const DatasetVersion& v, bool with_files) {
  json out = {{"number", v.number},
              {"row_count", v.row_count},
              {"created_at", TimeOrEmpty(v.created_at)},
              {"columns", ColumnsToJson(v.columns)},
              {"schema_diff", v.schema_diff ? *v.schema_diff : json()}};
  if (with_files) {
    json files = json::array();
    for (const auto& f : v.files) files.push_back(FileToJson(f));
    out["files"] = std::move(files);
  }
  if (v.compacted_into) out["compacted_into"] = v.compacted_into;
  if (v.compacted_from) out["compaction"] = {{"from_version", v.compacted_from}, {"files_before", v.compacted_file_count}};
  return out;
}

Result<DatasetVersion> VersionFromJson(const json& vj) {
  // Stored JSON may hold anything: a wrong type is a bad entry, never an exception out of here.
  try {
    return VersionFromJsonOrThrow(vj);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("manifest lists an unreadable version: ") + e.what());
  }
}

static Result<DatasetVersion> VersionFromJsonOrThrow(const json& vj) {
  if (!vj.is_object()) return InvalidArgument("manifest lists a version that is not an object");
  DatasetVersion v;
  v.number = IntField<int>(vj, "number", 1);
  v.row_count = IntField<int64_t>(vj, "row_count", 0);
  v.created_at = TimeField(vj, "created_at");
  if (vj.contains("files") && vj["files"].is_array()) {
    for (const auto& fj : vj["files"]) {
      if (!fj.is_object()) return InvalidArgument("manifest lists a data file that is not an object");
      v.files.push_back(FileFromJson(fj));
      LH_RETURN_IF_ERROR(storage::ValidateKey(v.files.back().key));
    }
  }
  v.columns = ColumnsFromJson(vj, "columns");
  if (vj.contains("schema_diff") && vj["schema_diff"].is_object()) {
    v.schema_diff = std::make_shared<const json>(vj["schema_diff"]);
  }
  v.compacted_into = IntField<int>(vj, "compacted_into", 0);
  if (vj.contains("compaction") && vj["compaction"].is_object()) {
    v.compacted_from = IntField<int>(vj["compaction"], "from_version", 0);
    v.compacted_file_count = IntField<int64_t>(vj["compaction"], "files_before", 0);
  }
  return v;
}

json ManifestToJson(const Manifest& m) {
  json j = ManifestHeadToJson(m);
  json versions = json::array();
  for (const auto& v : m.versions) versions.push_back(VersionToJson(v, true));
  j["versions"] = std::move(versions);
  return j;
}

json ManifestHeadToJson(const Manifest& m, bool with_pending_deletes) {
  json pending = json::array();
  if (with_pending_deletes) {
    for (const auto& p : m.pending_deletes) pending.push_back({{"key", p.key}, {"after", TimeOrEmpty(p.after)}});
  }
  json head = {
      {"format_version", 1},
      {"id", m.id},
      {"name", m.name},
      {"description", m.description},
      {"owner", m.owner},
      {"sensitivity", SensitivityName(m.sensitivity)},
      {"sensitivity_overridden", m.sensitivity_overridden},
      {"tags", m.tags},
      {"bucket", m.bucket},
      {"row_count", m.row_count()},
      {"current_version", m.versions.empty() ? 0 : m.current().number},
      {"columns", ColumnsToJson(m.columns)},
      {"lineage",
       {{"source_system", m.lineage.source_system},
        {"source", m.lineage.source},
        {"source_host", m.lineage.source_host},
        {"source_database", m.lineage.source_database},
        {"ingest_job_id", m.lineage.ingest_job_id},
        {"ingested_at", TimeOrEmpty(m.lineage.ingested_at)},
        {"format", m.lineage.format},
        {"reader_options", m.lineage.reader_options},
        {"query", m.lineage.query}}},
      {"created_at", TimeOrEmpty(m.created_at)},
      {"updated_at", TimeOrEmpty(m.updated_at)},
      {"freshness", {{"expected_update_interval_s", m.expected_update_interval_s}}},
      {"last_embedded_at", OptionalTimeJson(m.last_embedded_at)},
      {"embedding_stale_since", OptionalTimeJson(m.embedding_stale_since)},
      {"schema_policy", m.schema_policy},
      {"pending_deletes", pending},
      {"incremental",
       {{"column", m.incremental_column},
        {"last_value", m.incremental_last_value ? nlohmann::json(*m.incremental_last_value) : nlohmann::json()}}},
  };
  if (!with_pending_deletes) head.erase("pending_deletes");
  return head;
}

Result<Manifest> ManifestFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("manifest is not a JSON object");
  Manifest m;
  try {
    m.id = j.value("id", "");
    m.name = j.value("name", "");
    if (m.name.empty()) return InvalidArgument("manifest has no name");
    LH_RETURN_IF_ERROR(ValidateName(m.name, "dataset name"));
    m.description = j.value("description", "");
    m.owner = j.value("owner", "");
    m.sensitivity = SensitivityField(j, "sensitivity", Sensitivity::kInternal);
    m.sensitivity_overridden = j.value("sensitivity_overridden", false);
    if (j.contains("tags") && j["tags"].is_array()) m.tags = j["tags"].get<std::vector<std::string>>();
    m.bucket = j.value("bucket", "primary");
    if (m.bucket.empty()) m.bucket = "primary";
    // Legacy bucket names are migrated (Catalog::MigrateBuckets); anything else must be a name.
    if (m.bucket != "data" && m.bucket != "local") LH_RETURN_IF_ERROR(ValidateName(m.bucket, "bucket name"));
    if (j.contains("versions") && j["versions"].is_array()) {
      for (const auto& vj : j["versions"]) {
        LH_ASSIGN_OR_RETURN(auto v, VersionFromJson(vj));
        m.versions.push_back(std::move(v));
      }
    }
    if (j.contains("pending_deletes") && j["pending_deletes"].is_array()) {
      for (const auto& pj : j["pending_deletes"]) {
        if (!pj.is_object()) continue;
        PendingDelete p{pj.value("key", ""), TimeField(pj, "after")};
        LH_RETURN_IF_ERROR(storage::ValidateKey(p.key));
        m.pending_deletes.mutate().push_back(std::move(p));
      }
    }
    m.columns = ColumnsFromJson(j, "columns");
    if (j.contains("lineage") && j["lineage"].is_object()) {
      const auto& l = j["lineage"];
      m.lineage.source_system = l.value("source_system", "");
      m.lineage.source = l.value("source", "");
      m.lineage.source_host = l.value("source_host", "");
      m.lineage.source_database = l.value("source_database", "");
      m.lineage.ingest_job_id = l.value("ingest_job_id", "");
      m.lineage.ingested_at = TimeField(l, "ingested_at");
      m.lineage.format = l.value("format", "");
      m.lineage.query = l.value("query", "");
      if (l.contains("reader_options") && l["reader_options"].is_object()) {
        for (const auto& [k, v] : l["reader_options"].items()) {
          if (v.is_string()) m.lineage.reader_options[k] = v.get<std::string>();
        }
      }
    }
    m.created_at = TimeField(j, "created_at");
    m.updated_at = TimeField(j, "updated_at");
    if (j.contains("freshness") && j["freshness"].is_object()) {
      m.expected_update_interval_s = IntField<int64_t>(j["freshness"], "expected_update_interval_s", 0);
    }
    m.last_embedded_at = OptionalTime(j, "last_embedded_at");
    m.embedding_stale_since = OptionalTime(j, "embedding_stale_since");
    m.schema_policy = j.value("schema_policy", "evolve");
    if (j.contains("incremental") && j["incremental"].is_object()) {
      m.incremental_column = j["incremental"].value("column", "");
      if (j["incremental"].contains("last_value") && j["incremental"]["last_value"].is_string()) {
        m.incremental_last_value = j["incremental"]["last_value"].get<std::string>();
      }
    }
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("manifest has a field of the wrong type: ") + e.what());
  }
  return m;
}

std::string NewId(std::string_view prefix) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(prefix) + "_" + buf;
}

}  // namespace lakehouse::catalog
