// The index manifest: what a vector index is built from, how, and which
// files hold its current generation. Stored as JSON at
// _catalog/indexes/<name>.json in the primary bucket; the files live under
// vectors/<name>/ in the index's bucket. Fields added later load with
// defaults, so the format only grows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ai/embedder.h"
#include "common/clock.h"
#include "common/status.h"
#include "vector/autotune/records.h"
#include "vector/backend.h"
#include "vector/chunker.h"
#include "vector/search_mode.h"
#include "vector/text_index.h"

namespace lakehouse::vector {


// manual: only POST /vectors/refresh; on_append: after every ingest, import
// or inbox drop into the dataset; scheduled: every interval_s seconds.
enum class RefreshMode { kManual, kOnAppend, kScheduled };
const char* RefreshModeName(RefreshMode mode);
std::optional<RefreshMode> ParseRefreshMode(std::string_view name);

struct RefreshPolicy {
  RefreshMode mode = RefreshMode::kManual;
  int64_t interval_s = 0;
};
Status ValidateRefreshPolicy(const RefreshPolicy& p);

enum class IndexStatus { kBuilding, kReady, kFailed };
const char* IndexStatusName(IndexStatus status);  // building, ready, failed
std::optional<IndexStatus> ParseIndexStatus(std::string_view name);

// One built generation of the index. Embeddings are append-only Parquet
// parts; a refresh adds a part and tombstones the labels it replaces, and a
// rebuild (or compaction) starts a new list.
struct IndexGeneration {
  int number = 0;
  std::string provider;
  std::string model;
  int dimension = 0;
  std::vector<std::string> embedding_files;  // keys in the index's bucket
  // The last parts of embedding_files, appended since the backend file was
  // written: their vectors are searched exactly beside it until a merge.
  int delta_parts = 0;
  BackendSpec backend;       // what was built: kind resolved, every option set
  std::string backend_file;  // the backend's own file; empty for flat (the embeddings are its data)
  // Checked before the library reads the file: hnswlib and FAISS trust it.
  std::optional<uint32_t> backend_file_crc32;
  std::string text_file;                     // SQLite FTS5 database
  std::vector<int64_t> deleted_labels;       // tombstones within embedding_files
  int64_t next_label = 0;
  int64_t doc_count = 0;    // live documents
  int64_t chunk_count = 0;  // live chunks
  std::string source_signature;  // the dataset's data files when last embedded
  // Their keys: a refresh that finds them all still there, and more, embeds
  // only the rows of the new files (an append). Empty in old manifests.
  std::vector<std::string> source_files;
  TimePoint built_at{};
};

struct BuildStats {
  bool no_op = false;
  int64_t docs_added = 0;
  int64_t docs_changed = 0;
  int64_t docs_removed = 0;
  int64_t duplicate_ids = 0;  // rows whose id an earlier row already had (skipped)
  int64_t chunks_embedded = 0;
  double read_ms = 0, embed_ms = 0, index_ms = 0, text_ms = 0, total_ms = 0;  // index_ms: the vector backend
  // Appends: from the new vectors existing to the generation being served.
  double searchable_ms = 0;
};

// One run of an eval set against the index (POST .../eval): what it measured
// on which generation and settings. Kept with the index as its history.
struct EvalRecord {
  TimePoint at{};
  std::string set;
  int generation = 0;
  SearchMode mode = SearchMode::kHybrid;
  int k = 10;
  std::optional<double> text_weight;  // hybrid only
  bool tuned = false;                 // the run chose text_weight on this set
  std::optional<BackendSpec> candidate;  // measured instead of the served backend
  int64_t queries = 0, labelled = 0;
  double ndcg_at_10 = 0, recall_at_10 = 0, mrr_at_10 = 0;
  std::optional<double> recall_vs_exact;  // the vector list against an exact scan; none in text mode
  double p50_ms = 0, p95_ms = 0, qps = 0;
};
// Runs kept per index, newest last.
inline constexpr size_t kMaxEvalHistory = 20;

struct IndexManifest {
  std::string name;
  std::string dataset;
  std::string id_column;
  std::string text_column;
  std::string bucket;  // empty in a request: the dataset's
  // In the dataset's bucket because it was not placed anywhere else: it
  // moves with the dataset. Placing it elsewhere clears this.
  bool follows_dataset = true;
  // The model profile it was created under (its embedder, backend and
  // bucket came from there): searches scoped to another profile are
  // refused. Empty: none.
  std::string profile;
  ChunkOptions chunking;
  ai::EmbedderSpec embedder;  // api_key is never stored
  // What the index asks for: auto picks flat or hnsw by size at each full
  // build; the generation records what was built.
  BackendSpec backend;
  bool allow_pii = false;
  TextOptions text;  // the full-text index's stemmer and stop words
  // Hybrid searches' text weight when a request gives none: tuned on a
  // labelled eval set, or set by PATCH. None: kDefaultTextWeight. A model
  // change clears it (it was fitted to the old model's scores).
  std::optional<double> text_weight;
  std::vector<EvalRecord> evals;  // at most kMaxEvalHistory, newest last
  RefreshPolicy refresh;
  // A ready index may also be refreshing or building a shadow generation
  // (new model or backend); it keeps serving meanwhile.
  IndexStatus status = IndexStatus::kBuilding;
  std::string error;
  std::optional<IndexGeneration> active;
  // A new model being embedded; replaces `active` when complete.
  std::optional<ai::EmbedderSpec> pending_embedder;
  // Another backend being built from the stored vectors (no re-embedding);
  // replaces `active` when complete. One shadow at a time.
  std::optional<BackendSpec> pending_backend;
  // Set with pending_backend by a promotion or rollback: moved into
  // `promotions` in the same manifest write that publishes the generation,
  // so a crash leaves either both or neither.
  std::optional<PromotionRecord> pending_promotion;
  std::optional<AutotuneSummary> autotune;  // the last run
  std::vector<PromotionRecord> promotions;  // at most kMaxPromotionHistory, newest last
  double build_ms = 0;
  BuildStats last_build;  // of the last build or refresh that changed something
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> last_refreshed_at;
};

// Where an index's manifest is stored in the primary bucket.
std::string IndexManifestKey(const std::string& name);

nlohmann::json BuildStatsToJson(const BuildStats& s);
nlohmann::json EvalRecordToJson(const EvalRecord& r);
nlohmann::json IndexManifestToJson(const IndexManifest& m);
Result<IndexManifest> IndexManifestFromJson(const nlohmann::json& j);
nlohmann::json EmbedderSpecToJson(const ai::EmbedderSpec& spec);  // without the key
ai::EmbedderSpec EmbedderSpecFromJson(const nlohmann::json& j);

}  // namespace lakehouse::vector
