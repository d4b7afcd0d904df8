// The manifest: everything lakehouse knows about one dataset, stored as JSON
// at _catalog/datasets/<name>.json in the primary bucket. Fields added later
// load with defaults from older manifests, so the format only grows.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "catalog/pii.h"
#include "common/clock.h"
#include "common/status.h"

namespace lakehouse::catalog {

// Ordered from least to most sensitive.
enum class Sensitivity { kPublic, kInternal, kConfidential, kRestricted };
const char* SensitivityName(Sensitivity s);
Result<Sensitivity> ParseSensitivity(std::string_view name);

struct ColumnMeta {
  std::string name;
  std::string type;  // DuckDB type name, e.g. BIGINT, VARCHAR, DECIMAL(18,2)
  Sensitivity sensitivity = Sensitivity::kInternal;
  bool sensitivity_overridden = false;  // set by PATCH; survives re-ingest
  bool is_pii = false;
  PiiKind pii_kind = PiiKind::kNone;
  std::string pii_name_reason;   // why the name was flagged, empty if not
  std::string pii_value_reason;  // why the sampled values were flagged
  std::string renamed_from;      // the column's name in the previous version, if it was renamed
  std::string source_type;       // the type in the source database, if imported
  std::string note;              // how the value was mapped, when lossy or unusual
};

struct Lineage {
  std::string source_system;  // upload, file, inbox, postgres, mysql
  std::string source;         // file name, table, or query hash
  std::string source_host;    // for databases
  std::string source_database;
  std::string ingest_job_id;
  TimePoint ingested_at{};
  std::string format;  // how the file was read: csv, json... (files only)
  std::map<std::string, std::string> reader_options;  // the options it was read with (ingest/reader_options.h)
  std::string query;   // a database import's SELECT, as given (never a password)
};

// A list shared by copies of a manifest until one of them changes it. The
// catalog copies manifests on every read; lists that can run to thousands
// of entries (compaction's) then cost nothing to copy. A copy is changed
// only by the thread that holds it, like any other field.
template <typename T>
class SharedList {
 public:
  const std::vector<T>& get() const {
    static const std::vector<T> kEmpty;
    return items_ ? *items_ : kEmpty;
  }
  std::vector<T>& mutate() {
    if (!items_ || items_.use_count() > 1) items_ = std::make_shared<std::vector<T>>(get());
    return *items_;
  }
  auto begin() const { return get().begin(); }
  auto end() const { return get().end(); }
  size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }

 private:
  std::shared_ptr<std::vector<T>> items_;
};

// An ingested input, for the same-bytes no-op.
struct SourceRef {
  std::string sha256;
  uint64_t bytes = 0;
};

struct DataFile {
  std::string key;            // object key inside the dataset's bucket
  int64_t rows = 0;
  uint64_t bytes = 0;
  std::string source_sha256;  // of the ingested input, for the same-bytes no-op
  TimePoint added_at{};
  uint64_t source_bytes = 0;  // size of the ingested input; 0 when unknown
  // A file written by compaction holds the rows of many inputs: the latest
  // kMaxMergedSources of them, so that re-sending one is still a no-op.
  SharedList<SourceRef> merged_sources;
  static constexpr size_t kMaxMergedSources = 1000;

  // Whether this file holds the rows of the input with this hash (or size).
  bool HasSource(const std::string& sha256) const;
  bool MayHaveSourceOfSize(uint64_t bytes) const;
};

struct DatasetVersion {
  int number = 1;
  std::vector<DataFile> files;
  int64_t row_count = 0;
  TimePoint created_at{};
  std::vector<ColumnMeta> columns;
  // Against the version before (or, for appended files, the columns they
  // added), as JSON of catalog/schema_diff.h; null for the first version.
  std::shared_ptr<const nlohmann::json> schema_diff;
  // Compaction: a version whose small files were rewritten into fewer large
  // ones points at the version that holds its rows now (its files are gone
  // or going); that version says where it came from.
  int compacted_into = 0;
  int compacted_from = 0;
  int64_t compacted_file_count = 0;  // files of compacted_from that it replaced
};

// A data file no version points at any more, removed once no reader can
// still be scanning it (after `after`).
struct PendingDelete {
  std::string key;
  TimePoint after{};
};

struct Manifest {
  std::string id;
  std::string name;
  std::string description;
  std::string owner;
  Sensitivity sensitivity = Sensitivity::kInternal;
  bool sensitivity_overridden = false;
  std::vector<std::string> tags;
  std::string bucket = "primary";
  std::vector<DatasetVersion> versions;  // oldest first; the last one is current
  std::vector<ColumnMeta> columns;       // of the current version
  Lineage lineage;                       // of the latest ingest
  TimePoint created_at{};
  TimePoint updated_at{};
  // Freshness contract: 0 means none. Past it the dataset is reported overdue.
  int64_t expected_update_interval_s = 0;
  // Embedding state, maintained by ingest (stale) and vector/ (refresh).
  std::optional<TimePoint> last_embedded_at;
  std::optional<TimePoint> embedding_stale_since;
  // What a re-ingest with a different schema does: evolve (accept and record
  // the diff), strict (refuse with 409), new_dataset (write to <name>_vN).
  std::string schema_policy = "evolve";
  // Incremental imports: rows with incremental_column > incremental_last_value
  // are what the next import appends.
  std::string incremental_column;
  std::optional<std::string> incremental_last_value;
  SharedList<PendingDelete> pending_deletes;  // in the dataset's bucket

  const DatasetVersion& current() const { return versions.back(); }
  DatasetVersion& current() { return versions.back(); }
  int64_t row_count() const { return versions.empty() ? 0 : current().row_count; }
  bool IsOverdue(TimePoint now) const;
  const ColumnMeta* FindColumn(std::string_view name) const;
};

nlohmann::json ManifestToJson(const Manifest& m);
// Pieces of the manifest JSON, for the append log (catalog/manifest_files.h):
// everything but the versions, and one version with or without its files.
// pending_deletes can run to thousands while compaction runs: leave them
// out where they do not belong (append log lines, ingest answers).
nlohmann::json ManifestHeadToJson(const Manifest& m, bool with_pending_deletes = true);
nlohmann::json VersionToJson(const DatasetVersion& v, bool with_files);
Result<DatasetVersion> VersionFromJson(const nlohmann::json& j);
nlohmann::json DataFileToJson(const DataFile& f);
Result<DataFile> DataFileFromJson(const nlohmann::json& j);
Result<Manifest> ManifestFromJson(const nlohmann::json& j);
nlohmann::json ColumnToJson(const ColumnMeta& c);

// "ds_3f9a..." / "job_81bc...": random, for ids that must not collide.
std::string NewId(std::string_view prefix);

}  // namespace lakehouse::catalog
