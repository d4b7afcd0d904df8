#include "vector/index_manifest.h"
#include "common/json_fields.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <functional>

#include "common/names.h"
#include "common/redact.h"

namespace lakehouse::vector {

using nlohmann::json;

namespace {


std::optional<TimePoint> TimeField(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto t = ParseTime(j[key].get<std::string>());
  return t.ok() ? std::optional<TimePoint>(*t) : std::nullopt;
}

json GenerationToJson(const IndexGeneration& g) {
  return {{"number", g.number},
          {"provider", g.provider},
          {"model", g.model},
          {"dimension", g.dimension},
          {"embedding_files", g.embedding_files},
          {"delta_parts", g.delta_parts},
          {"backend", BackendSpecToJson(g.backend)},
          {"backend_file", g.backend_file},
          {"backend_file_crc32", g.backend_file_crc32 ? json(*g.backend_file_crc32) : json(nullptr)},
          {"text_file", g.text_file},
          {"deleted_labels", g.deleted_labels},
          {"next_label", g.next_label},
          {"doc_count", g.doc_count},
          {"chunk_count", g.chunk_count},
          {"source_signature", g.source_signature},
          {"source_files", g.source_files},
          {"built_at", TimeJson(g.built_at)}};
}

IndexGeneration GenerationFromJson(const json& j) {
  IndexGeneration g;
  g.number = IntField<int>(j, "number", 0);
  g.provider = j.value("provider", "");
  g.model = j.value("model", "");
  g.dimension = IntField<int>(j, "dimension", 0);
  g.embedding_files = j.value("embedding_files", std::vector<std::string>{});
  g.delta_parts = IntField<int>(j, "delta_parts", 0);
  if (g.delta_parts < 0 || g.delta_parts > static_cast<int>(g.embedding_files.size())) {
    throw std::invalid_argument("delta_parts must be between 0 and the number of embedding files");
  }
  if (j.contains("backend")) g.backend = BackendSpecFromJson(j["backend"]);
  // Before backends, every generation was an HNSW graph in hnsw_file.
  g.backend_file = j.contains("backend_file") ? j.value("backend_file", "") : j.value("hnsw_file", "");
  if (!j.contains("backend")) g.backend.kind = BackendKind::kHnsw;
  if (j.contains("backend_file_crc32") && !j["backend_file_crc32"].is_null()) {
    g.backend_file_crc32 = JsonInteger<uint32_t>(j["backend_file_crc32"], "backend_file_crc32");
  }
  g.text_file = j.value("text_file", "");
  if (j.contains("deleted_labels") && j["deleted_labels"].is_array()) {
    for (const auto& label : j["deleted_labels"]) g.deleted_labels.push_back(JsonInteger<int64_t>(label, "deleted_labels"));
  }
  g.next_label = IntField<int64_t>(j, "next_label", 0);
  g.doc_count = IntField<int64_t>(j, "doc_count", 0);
  g.chunk_count = IntField<int64_t>(j, "chunk_count", 0);
  g.source_signature = j.value("source_signature", "");
  g.source_files = j.value("source_files", std::vector<std::string>{});
  g.built_at = TimeField(j, "built_at").value_or(TimePoint{});
  return g;
}

}  // namespace

std::string IndexManifestKey(const std::string& name) { return "_catalog/indexes/" + name + ".json"; }


namespace {
constexpr const char* kRefreshModes[] = {"manual", "on_append", "scheduled"};
constexpr const char* kStatuses[] = {"building", "ready", "failed"};

template <typename E, size_t N>
std::optional<E> ParseEnum(const char* const (&names)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}
}  // namespace

const char* RefreshModeName(RefreshMode mode) { return kRefreshModes[static_cast<int>(mode)]; }
std::optional<RefreshMode> ParseRefreshMode(std::string_view name) { return ParseEnum<RefreshMode>(kRefreshModes, name); }
const char* IndexStatusName(IndexStatus status) { return kStatuses[static_cast<int>(status)]; }
std::optional<IndexStatus> ParseIndexStatus(std::string_view name) { return ParseEnum<IndexStatus>(kStatuses, name); }

Status ValidateRefreshPolicy(const RefreshPolicy& p) {
  if (p.mode == RefreshMode::kScheduled && p.interval_s < 1) {
    return InvalidArgument("a scheduled refresh needs interval_s >= 1");
  }
  return Status::Ok();
}

json EmbedderSpecToJson(const ai::EmbedderSpec& spec) {
  json j = {{"provider", spec.provider}, {"model", spec.model}, {"dimension", spec.dimension}};
  // A URL may carry credentials (user:pass@host); keep them out of manifests.
  if (!spec.url.empty()) j["url"] = RedactDsn(spec.url);
  if (spec.batch_size > 0) j["batch_size"] = spec.batch_size;
  // Empty is what an absent field reads as.
  if (spec.query_prefix && !spec.query_prefix->empty()) j["query_prefix"] = *spec.query_prefix;
  if (spec.document_prefix && !spec.document_prefix->empty()) j["document_prefix"] = *spec.document_prefix;
  return j;
}

ai::EmbedderSpec EmbedderSpecFromJson(const json& j) {
  ai::EmbedderSpec spec;
  spec.provider = j.value("provider", spec.provider);
  spec.model = j.value("model", spec.model);
  spec.dimension = IntField(j, "dimension", spec.dimension);
  spec.url = j.value("url", spec.url);
  spec.batch_size = IntField(j, "batch_size", spec.batch_size);
  // Absent in manifests from before prefixes: those indexes were built without.
  spec.query_prefix = j.value("query_prefix", "");
  spec.document_prefix = j.value("document_prefix", "");
  return spec;
}

json EvalRecordToJson(const EvalRecord& r) {
  auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"at", TimeJson(r.at)},
          {"set", r.set},
          {"generation", r.generation},
          {"mode", SearchModeName(r.mode)},
          {"k", r.k},
          {"text_weight", optional(r.text_weight)},
          {"tuned", r.tuned},
          {"candidate", r.candidate ? BackendSpecToJson(*r.candidate) : json(nullptr)},
          {"queries", r.queries},
          {"labelled", r.labelled},
          {"ndcg_at_10", r.ndcg_at_10},
          {"recall_at_10", r.recall_at_10},
          {"mrr_at_10", r.mrr_at_10},
          {"recall_vs_exact", optional(r.recall_vs_exact)},
          {"p50_ms", r.p50_ms},
          {"p95_ms", r.p95_ms},
          {"qps", r.qps}};
}

namespace {

// Throws json::exception for a field of the wrong type.
EvalRecord EvalRecordFromJson(const json& j) {
  auto optional = [&](const char* key) {
    return j.contains(key) && j[key].is_number() ? std::optional<double>(j[key].get<double>()) : std::nullopt;
  };
  EvalRecord r;
  r.at = TimeField(j, "at").value_or(TimePoint{});
  r.set = j.value("set", "");
  r.generation = j.value("generation", 0);
  r.mode = ParseSearchMode(j.value("mode", "hybrid")).value_or(SearchMode::kHybrid);
  r.k = j.value("k", 10);
  r.text_weight = optional("text_weight");
  r.tuned = j.value("tuned", false);
  if (j.contains("candidate") && j["candidate"].is_object()) r.candidate = BackendSpecFromJson(j["candidate"]);
  r.queries = j.value("queries", int64_t{0});
  r.labelled = j.value("labelled", int64_t{0});
  r.ndcg_at_10 = j.value("ndcg_at_10", 0.0);
  r.recall_at_10 = j.value("recall_at_10", 0.0);
  r.mrr_at_10 = j.value("mrr_at_10", 0.0);
  r.recall_vs_exact = optional("recall_vs_exact");
  r.p50_ms = j.value("p50_ms", 0.0);
  r.p95_ms = j.value("p95_ms", 0.0);
  r.qps = j.value("qps", 0.0);
  return r;
}

}  // namespace

json BuildStatsToJson(const BuildStats& s) {
  return {{"no_op", s.no_op},
          {"docs_added", s.docs_added},
          {"docs_changed", s.docs_changed},
          {"docs_removed", s.docs_removed},
          {"duplicate_ids", s.duplicate_ids},
          {"chunks_embedded", s.chunks_embedded},
          {"read_ms", s.read_ms},
          {"embed_ms", s.embed_ms},
          {"index_ms", s.index_ms},
          {"text_ms", s.text_ms},
          {"total_ms", s.total_ms},
          {"searchable_ms", s.searchable_ms}};
}

BuildStats BuildStatsFromJson(const json& j) {
  BuildStats s;
  if (!j.is_object()) return s;
  s.docs_added = IntField<int64_t>(j, "docs_added", 0);
  s.docs_changed = IntField<int64_t>(j, "docs_changed", 0);
  s.docs_removed = IntField<int64_t>(j, "docs_removed", 0);
  s.duplicate_ids = IntField<int64_t>(j, "duplicate_ids", 0);
  s.chunks_embedded = IntField<int64_t>(j, "chunks_embedded", 0);
  s.read_ms = j.value("read_ms", 0.0);
  s.embed_ms = j.value("embed_ms", 0.0);
  s.index_ms = j.contains("index_ms") ? j.value("index_ms", 0.0) : j.value("hnsw_ms", 0.0);
  s.text_ms = j.value("text_ms", 0.0);
  s.total_ms = j.value("total_ms", 0.0);
  s.searchable_ms = j.value("searchable_ms", 0.0);
  return s;
}

json IndexManifestToJson(const IndexManifest& m) {
  json evals = json::array();
  for (const auto& e : m.evals) evals.push_back(EvalRecordToJson(e));
  json promotions = json::array();
  for (const auto& p : m.promotions) promotions.push_back(PromotionToJson(p));
  json j = {{"name", m.name},
            {"dataset", m.dataset},
            {"id_column", m.id_column},
            {"text_column", m.text_column},
            {"bucket", m.bucket},
            {"chunk_size", m.chunking.size},
            {"chunk_overlap", m.chunking.overlap},
            {"redact_pii_spans", m.chunking.redact_pii_spans},
            {"embedder", EmbedderSpecToJson(m.embedder)},
            {"backend", BackendSpecToJson(m.backend)},
            {"allow_pii", m.allow_pii},
            {"text", {{"stemmer", TextStemmerName(m.text.stemmer)}, {"stop_words", StopWordsName(m.text.stop_words)}}},
            {"text_weight", m.text_weight ? json(*m.text_weight) : json(nullptr)},
            {"follows_dataset", m.follows_dataset},
            {"profile", m.profile.empty() ? json(nullptr) : json(m.profile)},
            {"refresh_policy", {{"mode", RefreshModeName(m.refresh.mode)}, {"interval_s", m.refresh.interval_s}}},
            {"status", IndexStatusName(m.status)},
            {"error", m.error},
            {"active", m.active ? GenerationToJson(*m.active) : json(nullptr)},
            {"pending_embedder", m.pending_embedder ? EmbedderSpecToJson(*m.pending_embedder) : json(nullptr)},
            {"pending_backend", m.pending_backend ? BackendSpecToJson(*m.pending_backend) : json(nullptr)},
            {"build_ms", m.build_ms},
            {"last_build", BuildStatsToJson(m.last_build)},
            {"evals", evals},
            {"autotune", m.autotune ? AutotuneSummaryToJson(*m.autotune) : json(nullptr)},
            {"promotions", promotions},
            {"pending_promotion", m.pending_promotion ? PromotionToJson(*m.pending_promotion) : json(nullptr)},
            {"created_at", TimeJson(m.created_at)},
            {"updated_at", TimeJson(m.updated_at)},
            {"last_refreshed_at", TimeJson(m.last_refreshed_at)}};
  return j;
}

namespace {

// Throws json::exception for a field of the wrong type.
Result<IndexManifest> IndexManifestFromJsonOrThrow(const json& j) {
  IndexManifest m;
  m.name = j.value("name", "");
  LH_RETURN_IF_ERROR(ValidateName(m.name, "index name"));
  m.dataset = j.value("dataset", "");
  LH_RETURN_IF_ERROR(ValidateName(m.dataset, "dataset name"));
  m.id_column = j.value("id_column", "");
  m.text_column = j.value("text_column", "");
  m.bucket = j.value("bucket", "primary");
  LH_RETURN_IF_ERROR(ValidateName(m.bucket, "bucket name"));
  m.chunking.size = IntField(j, "chunk_size", m.chunking.size);
  m.chunking.overlap = IntField(j, "chunk_overlap", m.chunking.overlap);
  m.chunking.redact_pii_spans = j.value("redact_pii_spans", false);
  if (j.contains("embedder") && j["embedder"].is_object()) m.embedder = EmbedderSpecFromJson(j["embedder"]);
  if (j.contains("backend")) {
    m.backend = BackendSpecFromJson(j["backend"]);
  } else if (j.contains("hnsw") && j["hnsw"].is_object()) {
    // Written before backends: an HNSW index with these settings.
    m.backend.kind = BackendKind::kHnsw;
    for (const char* key : {"m", "ef_construction", "ef_search"}) {
      if (j["hnsw"].contains(key)) m.backend.options[key] = IntField<int64_t>(j["hnsw"], key, 0);
    }
    // Checked as the new format is, so that rewriting it never makes it unreadable.
    if (Status s = ValidateBackendOptions(m.backend); !s.ok()) throw std::invalid_argument(s.message());
  }
  m.allow_pii = j.value("allow_pii", false);
  // Absent before these settings: such indexes were built and searched with neither.
  const json text = j.value("text", json::object());
  m.text.stemmer = ParseTextStemmer(text.value("stemmer", "none")).value_or(TextStemmer::kNone);
  m.text.stop_words = ParseStopWords(text.value("stop_words", "none")).value_or(StopWords::kNone);
  if (j.contains("text_weight") && j["text_weight"].is_number()) {
    const double w = j["text_weight"].get<double>();
    if (w >= 0 && w <= 1) m.text_weight = w;
  }
  if (j.contains("evals") && j["evals"].is_array()) {
    for (const auto& e : j["evals"]) {
      if (e.is_object()) m.evals.push_back(EvalRecordFromJson(e));
    }
  }
  m.follows_dataset = j.value("follows_dataset", true);
  if (j.contains("profile") && j["profile"].is_string()) m.profile = j["profile"].get<std::string>();
  if (j.contains("refresh_policy") && j["refresh_policy"].is_object()) {
    std::string mode = j["refresh_policy"].value("mode", "manual");
    auto parsed = ParseRefreshMode(mode);
    if (!parsed) return InvalidArgument("unknown refresh mode '" + mode + "'");
    m.refresh.mode = *parsed;
    m.refresh.interval_s = IntField(j["refresh_policy"], "interval_s", m.refresh.interval_s);
  }
  std::string status = j.value("status", "building");
  auto parsed_status = ParseIndexStatus(status);
  if (!parsed_status) return InvalidArgument("unknown status '" + status + "'");
  m.status = *parsed_status;
  m.error = j.value("error", "");
  if (j.contains("active") && j["active"].is_object()) {
    m.active = GenerationFromJson(j["active"]);
    if (!j["active"].contains("backend")) {
      BackendSpec graph{BackendKind::kHnsw, m.backend.kind == BackendKind::kHnsw ? m.backend.options : BackendOptions{}};
      m.active->backend = ResolveBackend(graph, 0, m.active->dimension);
    }
  }
  if (j.contains("pending_embedder") && j["pending_embedder"].is_object()) {
    m.pending_embedder = EmbedderSpecFromJson(j["pending_embedder"]);
  }
  if (j.contains("pending_backend") && j["pending_backend"].is_object()) {
    m.pending_backend = BackendSpecFromJson(j["pending_backend"]);
  }
  // Autotune's records are history: one that cannot be read is left out
  // (and the next run or promotion rewrites it), never the whole index.
  auto lenient = [&](const char* what, const std::function<void()>& read) {
    try {
      read();
    } catch (const std::exception&) {
      spdlog::warn("index {}: its manifest's {} cannot be read and is left out", m.name, what);
    }
  };
  if (j.contains("autotune") && j["autotune"].is_object()) {
    lenient("autotune summary", [&] { m.autotune = AutotuneSummaryFromJson(j["autotune"]); });
  }
  if (j.contains("promotions") && j["promotions"].is_array()) {
    for (const auto& p : j["promotions"]) {
      lenient("promotion history entry", [&] { m.promotions.push_back(PromotionFromJson(p)); });
    }
  }
  if (j.contains("pending_promotion") && j["pending_promotion"].is_object()) {
    lenient("pending promotion", [&] { m.pending_promotion = PromotionFromJson(j["pending_promotion"]); });
  }
  m.build_ms = j.value("build_ms", 0.0);
  if (j.contains("last_build")) m.last_build = BuildStatsFromJson(j["last_build"]);
  m.created_at = TimeField(j, "created_at").value_or(TimePoint{});
  m.updated_at = TimeField(j, "updated_at").value_or(TimePoint{});
  m.last_refreshed_at = TimeField(j, "last_refreshed_at");
  return m;
}

}  // namespace

Result<IndexManifest> IndexManifestFromJson(const json& j) {
  if (!j.is_object() || !j.contains("name")) return InvalidArgument("an index manifest needs a name");
  try {
    return IndexManifestFromJsonOrThrow(j);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("index manifest has a field of the wrong type: ") + e.what());
  } catch (const std::invalid_argument& e) {
    return InvalidArgument(std::string("index manifest: ") + e.what());
  }
}

}  // namespace lakehouse::vector
