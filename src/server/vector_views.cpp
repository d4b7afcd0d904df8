#include "server/vector_views.h"

#include "common/json_fields.h"

#include "common/clock.h"
#include "server/json_views.h"

namespace lakehouse::server {

using json = nlohmann::json;

namespace {


// The served generation as users see it: counts, model, backend and files;
// tombstone labels, signatures and checksums stay in the manifest.
json GenerationJson(const vector::IndexGeneration& g) {
  return {{"number", g.number},
          {"provider", g.provider},
          {"model", g.model},
          {"dimension", g.dimension},
          {"doc_count", g.doc_count},
          {"chunk_count", g.chunk_count},
          {"deleted_chunks", g.deleted_labels.size()},
          {"delta_parts", g.delta_parts},
          {"backend", vector::BackendSpecToJson(g.backend)},
          {"files",
           {{"embeddings", g.embedding_files},
            {"backend", g.backend_file.empty() ? json(nullptr) : json(g.backend_file)},
            {"text", g.text_file}}},
          {"built_at", TimeJson(g.built_at)}};
}

}  // namespace

json IndexJson(const vector::IndexManifest& m, vector::IndexRegistry& indexes, catalog::Catalog& catalog) {
  json evals = json::array();
  for (const auto& e : m.evals) evals.push_back(vector::EvalRecordToJson(e));
  json j = {{"name", m.name},
            {"dataset", m.dataset},
            {"id_column", m.id_column},
            {"text_column", m.text_column},
            {"bucket", m.bucket},
            {"profile", m.profile.empty() ? json(nullptr) : json(m.profile)},
            // What a profile-scoped search checks: whose index, and which model's vectors.
            {"vector_space",
             {{"profile", m.profile.empty() ? json(nullptr) : json(m.profile)},
              {"provider", m.active ? m.active->provider : m.embedder.provider},
              {"model", m.active ? m.active->model : m.embedder.model},
              {"dimension", m.active ? m.active->dimension : m.embedder.dimension}}},
            {"chunk_size", m.chunking.size},
            {"chunk_overlap", m.chunking.overlap},
            {"redact_pii_spans", m.chunking.redact_pii_spans},
            {"embedder", vector::EmbedderSpecToJson(m.embedder)},
            {"backend", vector::BackendSpecToJson(m.backend)},
            {"allow_pii", m.allow_pii},
            {"text_weight", m.text_weight ? json(*m.text_weight) : json(nullptr)},
            {"evals", evals},
            {"text_stemmer", vector::TextStemmerName(m.text.stemmer)},
            {"stop_words", vector::StopWordsName(m.text.stop_words)},
            {"refresh_policy",
             {{"mode", vector::RefreshModeName(m.refresh.mode)}, {"interval_s", m.refresh.interval_s}}},
            {"status", vector::IndexStatusName(m.status)},
            {"error", m.error},
            {"active", m.active ? GenerationJson(*m.active) : json(nullptr)},
            {"pending_embedder", m.pending_embedder ? vector::EmbedderSpecToJson(*m.pending_embedder) : json(nullptr)},
            {"pending_backend", m.pending_backend ? vector::BackendSpecToJson(*m.pending_backend) : json(nullptr)},
            // The frontier and history are at .../autotune and /vectors/promotions.
            {"autotune", m.autotune ? json{{"run", m.autotune->run},
                                           {"at", TimeJson(m.autotune->at)},
                                           {"champion", m.autotune->champion
                                                            ? vector::TunePointToJson(*m.autotune->champion)
                                                            : json(nullptr)}}
                                    : json(nullptr)},
            {"promotions", m.promotions.size()},
            {"build_ms", m.build_ms},
            {"last_build", vector::BuildStatsToJson(m.last_build)},
            {"created_at", TimeJson(m.created_at)},
            {"updated_at", TimeJson(m.updated_at)},
            {"last_refreshed_at", m.last_refreshed_at ? json(FormatTime(*m.last_refreshed_at)) : json(nullptr)}};
  auto dataset = catalog.Get(m.dataset);
  j["stale"] = m.active && dataset.ok() && vector::DatasetSignature(*dataset) != m.active->source_signature;
  if (auto p = indexes.Progress(m.name)) {
    j["progress"] = {{"phase", vector::BuildPhaseName(p->phase)},
                     {"done", p->done},
                     {"total", p->total},
                     {"per_second", p->per_second}};
    if (p->eta_s >= 0) j["progress"]["eta_s"] = p->eta_s;
  }
  if (m.refresh.mode == vector::RefreshMode::kScheduled && m.active) {
    TimePoint last = m.last_refreshed_at.value_or(m.active->built_at);
    j["next_refresh_due"] = FormatTime(last + std::chrono::seconds(m.refresh.interval_s));
  }
  return j;
}

json EvalReportJson(const vector::eval::EvalReport& r) {
  json j = {{"index", r.index},
            {"set", r.set},
            {"mode", vector::SearchModeName(r.options.mode)},
            {"k", r.options.k},
            {"queries", r.queries},
            {"labelled_queries", r.quality.queries},
            {"latency_ms", {{"p50", r.p50_ms}, {"p95", r.p95_ms}}},
            {"qps_single_thread", r.qps},
            {"memory_bytes", r.memory_bytes}};
  j["generation"] = r.generation;
  if (r.candidate) {
    j["candidate"] = vector::BackendSpecToJson(*r.candidate);
    j["candidate_build_ms"] = r.candidate_build_ms;
  }
  if (r.options.mode == vector::SearchMode::kHybrid) j["text_weight"] = r.text_weight;
  if (r.quality.queries > 0) {
    j["ndcg_at_10"] = r.quality.ndcg_at_10;
    j["recall_at_10"] = r.quality.recall_at_10;
    j["mrr_at_10"] = r.quality.mrr_at_10;
  }
  if (r.exact_compared > 0) {
    j["recall_vs_exact"] = {{"at_k", r.recall_vs_exact}, {"queries", r.exact_compared}};
  }
  return j;
}

json EvalOutcomeJson(const vector::eval::EvalOutcome& o) {
  json j = EvalReportJson(o.report);
  if (o.tuning) {
    json sweep = json::array();
    for (const auto& [w, ndcg] : o.tuning->ndcg_by_weight) sweep.push_back({{"text_weight", w}, {"ndcg_at_10", ndcg}});
    j["tuning"] = {{"chosen", o.tuning->chosen},
                   {"ndcg_at_10", o.tuning->chosen_ndcg},
                   {"previous", o.previous_text_weight ? json(*o.previous_text_weight) : json(nullptr)},
                   {"sweep", sweep}};
  }
  return j;
}

json SearchJson(const vector::SearchResponse& r) {
  json hits = json::array();
  for (const auto& h : r.hits) {
    json hit = {{"doc_id", h.doc_id}, {"chunk_index", h.chunk_index}, {"text", h.text}, {"score", h.score}};
    if (h.vector_score) hit["vector_score"] = *h.vector_score;
    if (h.text_score) hit["text_score"] = *h.text_score;
    if (!r.row_columns.empty()) {
      json row = nullptr;
      if (!h.row.empty()) {
        row = json::object();
        for (size_t c = 0; c < r.row_columns.size(); ++c) row[r.row_columns[c].name] = CellJson(h.row[c]);
      }
      hit["row"] = std::move(row);
    }
    hits.push_back(std::move(hit));
  }
  json out = {{"index", r.index},
          {"mode", vector::SearchModeName(r.mode)},
          {"model", r.model},
          {"hits", std::move(hits)},
          {"redacted_columns", r.redacted_columns},
          {"filter", {{"applied", r.filtered}, {"matching_docs", r.filter_matching_docs}}},
          {"strategy", r.strategy},
          {"timings_ms",
           {{"embed", r.embed_ms}, {"filter", r.filter_ms}, {"search", r.search_ms}, {"join", r.join_ms},
            {"total", r.total_ms}}}};
  if (r.mode == vector::SearchMode::kHybrid) out["text_weight"] = r.text_weight;
  return out;
}

json DocJson(const vector::DocResponse& d) {
  json chunks = json::array();
  for (const auto& c : d.chunks) {
    json chunk = {{"chunk_index", c.chunk_index}, {"begin", c.begin}, {"end", c.end}, {"text", c.text}};
    if (!c.vector.empty()) chunk["vector"] = c.vector;
    chunks.push_back(std::move(chunk));
  }
  return {{"index", d.index},         {"doc_id", d.doc_id}, {"model", d.model}, {"generation", d.generation},
          {"chunks", std::move(chunks)}, {"redacted", d.redacted}};
}

json StatsJson(const vector::IndexStats& s) {
  const auto& m = s.manifest;
  json j = {{"index", m.name}, {"status", vector::IndexStatusName(m.status)}, {"backend_requested", vector::BackendSpecToJson(m.backend)}};
  if (!m.active) return j;
  const auto& g = *m.active;
  auto per_vector = [&](uint64_t bytes) { return s.vectors ? static_cast<double>(bytes) / s.vectors : 0.0; };
  uint64_t disk = s.backend_file_bytes + s.embeddings_bytes + s.text_index_bytes;
  j["backend"] = vector::BackendSpecToJson(g.backend);
  j["generation"] = g.number;
  j["model"] = g.model;
  j["dimension"] = g.dimension;
  j["vectors"] = s.vectors;
  j["documents"] = s.documents;
  j["tombstones"] = s.tombstones;
  j["delta"] = {{"vectors", s.delta_vectors}, {"parts", s.delta_parts}};
  j["memory"] = {{"bytes", s.memory_bytes}, {"bytes_per_vector", per_vector(s.memory_bytes)}};
  j["disk"] = {{"bytes", disk},
               {"bytes_per_vector", per_vector(disk)},
               {"backend_file", s.backend_file_bytes},
               {"embeddings", s.embeddings_bytes},
               {"text_index", s.text_index_bytes}};
  j["build_ms"] = m.build_ms;
  j["last_build"] = vector::BuildStatsToJson(m.last_build);
  j["built_at"] = g.built_at == TimePoint{} ? json(nullptr) : json(FormatTime(g.built_at));
  j["last_refreshed_at"] = m.last_refreshed_at ? json(FormatTime(*m.last_refreshed_at)) : json(nullptr);
  // The newest eval run of the generation measured here (older ones, or
  // ones of another generation, are in the index's "evals").
  j["last_eval"] = nullptr;
  j["last_recall"] = nullptr;
  for (auto e = m.evals.rbegin(); e != m.evals.rend(); ++e) {
    if (e->generation != g.number || e->candidate) continue;
    if (j["last_eval"].is_null()) j["last_eval"] = vector::EvalRecordToJson(*e);
    // The newest run that measured it (a text-mode run does not).
    if (e->recall_vs_exact && j["last_recall"].is_null()) j["last_recall"] = *e->recall_vs_exact;
  }
  return j;
}

}  // namespace lakehouse::server
