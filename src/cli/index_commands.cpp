#include "cli/index_commands.h"

#include <charconv>

#include "server/vector_views.h"
#include "vector/eval/eval_store.h"
#include "vector/eval/generate.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/runtime.h"
#include "cli/output.h"

namespace lakehouse::cli {

namespace {

// One line on a terminal, rewritten in place; one line per update otherwise.
vector::ProgressFn ProgressLine() {
  bool tty = ::isatty(STDERR_FILENO);
  return [tty](const vector::BuildProgress& p) {
    if (p.phase == vector::BuildPhase::kEmbedding || p.phase == vector::BuildPhase::kIndexing) {
      std::fprintf(stderr, "%s%s: %s/%s chunks", tty ? "\r\033[K" : "", vector::BuildPhaseName(p.phase),
                   HumanCount(static_cast<int64_t>(p.done)).c_str(), HumanCount(static_cast<int64_t>(p.total)).c_str());
      if (p.per_second > 0) std::fprintf(stderr, ", %.0f chunks/s", p.per_second);
      if (p.eta_s >= 0 && p.done < p.total) std::fprintf(stderr, ", ~%.0f s left", p.eta_s);
    } else {
      std::fprintf(stderr, "%s%s...", tty ? "\r\033[K" : "", vector::BuildPhaseName(p.phase));
    }
    std::fprintf(stderr, "%s", tty ? "" : "\n");
  };
}

void EndProgress() {
  if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
}

void PrintIndex(const vector::IndexManifest& m, bool stale) {
  std::printf("%-20s %-16s %-8s %-5s %-10s %10s %10s  %s/%s  refresh=%s\n", m.name.c_str(), m.dataset.c_str(),
              vector::IndexStatusName(m.status), stale ? "yes" : "no", m.text_column.c_str(),
              m.active ? HumanCount(m.active->doc_count).c_str() : "-",
              m.active ? HumanCount(m.active->chunk_count).c_str() : "-", m.embedder.provider.c_str(),
              m.embedder.model.c_str(), vector::RefreshModeName(m.refresh.mode));
}

}  // namespace

IndexCommands::IndexCommands(CLI::App& app) {
  auto* index = app.add_subcommand("index", "Create, list, refresh, search and drop vector indexes over text columns");
  index->require_subcommand(1);
  create_ = index->add_subcommand("create", "Chunk, embed and index a dataset's text column (vectors + full text)");
  create_->add_option("name", name_, "Index name")->required();
  create_->add_option("--dataset", dataset_, "Dataset to index")->required();
  create_->add_option("--id-column", id_column_, "Column identifying each row (document)")->required();
  create_->add_option("--text-column", text_column_, "Column holding the text")->required();
  create_->add_option("--chunk-size", chunk_size_, "Bytes per chunk (default 1000)");
  create_->add_option("--chunk-overlap", chunk_overlap_, "Bytes shared by neighbouring chunks (default 15% of the size)");
  create_->add_option("--provider", provider_,
                      "use-lite+hash (default: built in, meaning and rare words), use-lite (built in, semantic), hash "
                      "(built in, lexical, 100x faster), ollama or openai")
      ->check(CLI::IsMember({"use-lite+hash", "hash", "use-lite", "ollama", "openai"}));
  create_->add_option("--model", model_, "Embedding model (ollama/openai), e.g. nomic-embed-text");
  create_->add_option("--url", url_, "Embedding server URL (default from [vectors] in lakehouse.toml)");
  create_->add_option("--dimension", dimension_, "Dimension of the hash embedder (default 768)");
  create_->add_option("--backend", backend_,
                      "Vector backend: auto (default: flat while exact search is as fast, else hnsw), flat "
                      "(exact), hnsw (graph) or ivf_pq (compressed, for large corpora)")
      ->check(CLI::IsMember({"auto", "flat", "hnsw", "ivf_pq"}));
  create_->add_option("--option", backend_options_,
                      "Backend setting KEY=VALUE, repeatable: hnsw m, ef_construction, ef_search; ivf_pq nlist, "
                      "pq_m, nbits, nprobe, refine_factor (defaults derived from the corpus)");
  create_->add_option("--m", m_, "HNSW M: links per node (default 16; implies --backend hnsw)");
  create_->add_option("--ef-construction", ef_construction_, "HNSW build beam width (default 200; implies hnsw)");
  create_->add_option("--ef-search", ef_search_, "HNSW search beam width (default 64; implies hnsw)");
  create_->add_option("--bucket", bucket_, "Bucket for the index files (default: the dataset's)");
  create_->add_option("--refresh-policy", policy_, "manual, on_append or scheduled")
      ->check(CLI::IsMember({"manual", "on_append", "scheduled"}));
  create_->add_option("--interval", interval_s_, "Seconds between scheduled refreshes");
  create_->add_option("--stemmer", stemmer_,
                      "Full-text word matching: porter (default: English stems, \"split\" finds \"splitting\") "
                      "or none")
      ->check(CLI::IsMember({"porter", "none"}));
  create_->add_option("--stop-words", stop_words_,
                      "english (default: \"how\", \"do\", \"the\" do not rank a question) or none")
      ->check(CLI::IsMember({"english", "none"}));
  create_->add_flag("--allow-pii", allow_pii_, "Index a column flagged PII, and send PII spans inside the text to the embedder as they are (else as their kind)");
  create_->add_flag("--redact-pii-spans", redact_spans_,
                    "Replace e-mail addresses, phone and card numbers and other PII inside the text by their kind "
                    "([EMAIL]) before it is embedded or stored");
  list_ = index->add_subcommand("list", "List indexes with status, counts and model");
  list_->add_flag("--json", json_, "Print JSON");
  drop_ = index->add_subcommand("drop", "Delete an index and its files");
  drop_->add_option("name", name_, "Index name")->required();
  refresh_ = index->add_subcommand("refresh", "Embed only what changed in the dataset since the last build");
  refresh_->add_option("name", name_, "Index name")->required();
  search_ = index->add_subcommand("search", "Search an index by meaning, words or both");
  search_->add_option("name", name_, "Index name")->required();
  search_->add_option("query", query_, "What to look for")->required();
  search_->add_option("-k", k_, "Hits to return (default 10)");
  search_->add_option("--filter", filter_, "SQL condition on the dataset's columns, e.g. \"year >= 2020\"");
  search_->add_option("--mode", mode_, "vector, text or hybrid")->check(CLI::IsMember({"vector", "text", "hybrid"}));
  search_->add_option("--ef", ef_, "hnsw: search beam width for this query");
  search_->add_option("--nprobe", nprobe_, "ivf_pq: lists to visit for this query");
  search_->add_option("--refine-factor", refine_factor_, "ivf_pq: candidates re-ranked exactly, per hit");
  search_->add_option("--text-weight", text_weight_,
                      "hybrid: the text list's share (0 to 1; default the index's tuned weight, else 0.7) in the fused score");
  search_->add_flag("--json", search_json_, "Print the answer as JSON, each hit with its row's columns");
  migrate_ = index->add_subcommand("migrate", "Move an index to another backend or settings, built from its stored "
                                             "vectors (no re-embedding); searches go on meanwhile");
  migrate_->add_option("name", name_, "Index name")->required();
  migrate_->add_option("--backend", backend_, "auto, flat, hnsw or ivf_pq")
      ->check(CLI::IsMember({"auto", "flat", "hnsw", "ivf_pq"}))
      ->required();
  migrate_->add_option("--option", backend_options_, "Backend setting KEY=VALUE, repeatable (as for create)");
  stats_ = index->add_subcommand("stats", "Backend, settings, counts and bytes per vector (JSON, as GET .../stats)");
  stats_->add_option("name", name_, "Index name")->required();
  doc_ = index->add_subcommand("doc", "One document's chunks by its id (JSON, as GET .../docs/{doc_id})");
  doc_->add_option("name", name_, "Index name")->required();
  doc_->add_option("doc_id", doc_id_, "The document's id (its id column's value)")->required();
  doc_->add_flag("--vectors", vectors_, "Include each chunk's vector");
  move_ = index->add_subcommand("move", "Move an index's files to another bucket (copied, verified, then switched; "
                                        "searches go on meanwhile)");
  move_->add_option("name", name_, "Index name")->required();
  move_->add_option("--bucket", target_bucket_, "The bucket to move it to")->required();
  eval_ = index->add_subcommand("eval", "Measure search quality on an eval set in BEIR's layout: nDCG@10, recall@10 "
                                        "and MRR@10 against its judgements, recall against exact search, latency");
  eval_->add_option("name", name_, "Index name")->required();
  eval_->add_option("--queries", queries_file_, "queries: query_id<TAB>text (or BEIR JSON lines)");
  eval_->add_option("--set", set_name_, "An eval set kept with the index (instead of --queries)");
  eval_->add_option("--qrels", qrels_file_, "judgements: query_id<TAB>doc_id<TAB>grade (optional)");
  eval_->add_option("--mode", mode_, "vector, text or hybrid (default hybrid)")
      ->check(CLI::IsMember({"vector", "text", "hybrid"}));
  eval_->add_option("-k", k_, "Hits per query (default 10)");
  eval_->add_option("--text-weight", text_weight_,
                    "hybrid: the text list's share (0 to 1; default the index's tuned weight, else 0.7)");
  eval_->add_flag("--tune", tune_,
                  "hybrid: first find the text weight that ranks this set's labelled queries best, and keep it as "
                  "the index's");
  eval_->add_flag("--json", json_, "Print the report as JSON (as POST .../eval answers)");
  eval_->add_option("--backend", backend_,
                    "Measure a candidate instead of the served backend: the stored vectors indexed in memory by "
                    "flat, hnsw or ivf_pq (nothing is re-embedded or written)")
      ->check(CLI::IsMember({"auto", "flat", "hnsw", "ivf_pq"}));
  eval_->add_option("--option", backend_options_, "The candidate's setting KEY=VALUE, repeatable (as for create)");
  auto* evalset = index->add_subcommand("evalset", "Eval sets kept with an index (in its bucket; they move with it)");
  evalset_add_ = evalset->add_subcommand("add", "Store an eval set from BEIR files, or generate one from the index's chunks");
  evalset_add_->add_option("name", name_, "Index name")->required();
  evalset_add_->add_option("set", set_name_, "The eval set's name")->required();
  evalset_add_->add_option("--queries", queries_file_, "queries: query_id<TAB>text (or BEIR JSON lines)");
  evalset_add_->add_option("--generate", generate_,
                           "Instead of files: N queries made from the index's own chunks (a window of each "
                           "sampled chunk's words, perturbed; its document is the answer)");
  evalset_add_->add_option("--seed", seed_, "With --generate: the sampling seed (default 1)");
  evalset_add_->add_option("--qrels", qrels_file_, "judgements: query_id<TAB>doc_id<TAB>grade (optional)");
  evalset_add_->add_flag("--replace", replace_, "Overwrite a set of that name");
  evalset_list_ = evalset->add_subcommand("list", "List an index's eval sets");
  evalset_list_->add_option("name", name_, "Index name")->required();
  evalset_drop_ = evalset->add_subcommand("drop", "Delete an eval set");
  evalset_drop_->add_option("name", name_, "Index name")->required();
  evalset_drop_->add_option("set", set_name_, "The eval set's name")->required();
}

Result<vector::eval::EvalSet> IndexCommands::ReadEvalSetFiles(const std::string& name) const {
  LH_ASSIGN_OR_RETURN(auto queries, ReadFile(queries_file_));
  std::string qrels;
  if (!qrels_file_.empty()) {
    LH_ASSIGN_OR_RETURN(qrels, ReadFile(qrels_file_));
  }
  return vector::eval::ParseBeir(name, queries, qrels);
}

namespace {

// The bucket holding the index's files (and its eval sets).
Result<std::shared_ptr<storage::ObjectStore>> IndexBucket(app::Runtime& runtime, const std::string& index) {
  LH_ASSIGN_OR_RETURN(auto manifest, runtime.indexes().Get(index));
  return runtime.buckets().Get(manifest.bucket);
}

// The eval report as a table; the sweep first when the run tuned.
void PrintEvalTable(const vector::eval::EvalOutcome& o) {
  const auto& r = o.report;
  if (o.tuning) {
    std::printf("text weight  nDCG@10\n");
    for (const auto& [w, ndcg] : o.tuning->ndcg_by_weight) {
      std::printf("%11.2f  %.3f%s\n", w, ndcg, w == o.tuning->chosen ? "  <- chosen, kept as the index's" : "");
    }
    std::printf("\n");
  }
  std::printf("index %s, set %s, generation %d: %zu queries (%zu labelled), mode %s", r.index.c_str(), r.set.c_str(),
              r.generation, r.queries, r.quality.queries, vector::SearchModeName(r.options.mode));
  if (r.options.mode == vector::SearchMode::kHybrid) std::printf(", text weight %.2f", r.text_weight);
  std::printf(", k %zu\n", r.options.k);
  if (r.candidate) {
    std::printf("candidate: %s %s, built in memory in %.0f ms (the served backend is unchanged)\n",
                vector::BackendKindName(r.candidate->kind), vector::BackendSpecToJson(*r.candidate)["options"].dump().c_str(),
                r.candidate_build_ms);
  }
  std::printf("\n");
  std::printf("%-18s %s\n", "measure", "value");
  if (r.quality.queries > 0) {
    std::printf("%-18s %.3f\n%-18s %.3f\n%-18s %.3f\n", "nDCG@10", r.quality.ndcg_at_10, "recall@10",
                r.quality.recall_at_10, "MRR@10", r.quality.mrr_at_10);
  }
  if (r.exact_compared > 0) {
    std::printf("%-18s %.3f (%zu queries)\n", "recall vs exact", r.recall_vs_exact, r.exact_compared);
  }
  std::printf("%-18s %.2f ms\n%-18s %.2f ms\n%-18s %.0f\n%-18s %s bytes\n", "latency p50", r.p50_ms,
              "latency p95", r.p95_ms, "QPS (1 thread)", r.qps, "memory",
              HumanCount(static_cast<int64_t>(r.memory_bytes)).c_str());
}

}  // namespace

int IndexCommands::RunEvalSet(app::Runtime& runtime) const {
  auto store = IndexBucket(runtime, name_);
  if (!store.ok()) return Fail(store.status());
  if (evalset_add_->parsed()) {
    Result<vector::eval::EvalSet> set = InvalidArgument("give --queries (and --qrels) files, or --generate N");
    if (generate_) {
      auto loaded = runtime.indexes().Acquire(name_);
      if (!loaded.ok()) return Fail(loaded.status());
      set = vector::eval::GenerateEvalSet(**loaded, set_name_, {static_cast<size_t>(std::max<int64_t>(*generate_, 0)),
                                                                static_cast<uint64_t>(seed_)});
    } else if (!queries_file_.empty()) {
      set = ReadEvalSetFiles(set_name_);
    }
    if (!set.ok()) return Fail(set.status());
    if (Status s = vector::eval::SaveEvalSet(**store, name_, *set, replace_); !s.ok()) return Fail(s);
    std::printf("eval set %s of index %s: %zu queries\n", set_name_.c_str(), name_.c_str(), set->queries.size());
  } else if (evalset_list_->parsed()) {
    std::printf("%-24s %8s %9s\n", "SET", "QUERIES", "LABELLED");
    for (const auto& info : vector::eval::ListEvalSets(**store, name_)) {
      std::printf("%-24s %8zu %9zu\n", info.name.c_str(), info.queries, info.labelled);
    }
  } else {
    if (Status s = vector::eval::DropEvalSet(**store, name_, set_name_); !s.ok()) return Fail(s);
    std::printf("dropped eval set %s of index %s\n", set_name_.c_str(), name_.c_str());
  }
  return 0;
}

Result<vector::BackendSpec> IndexCommands::BackendFromFlags() const {
  vector::BackendSpec spec;
  LH_ASSIGN_OR_RETURN(spec.kind, vector::ParseBackendKind(backend_));
  for (const auto& [value, key] : {std::pair{m_, "m"}, {ef_construction_, "ef_construction"}, {ef_search_, "ef_search"}}) {
    if (!value) continue;
    if (spec.kind == vector::BackendKind::kAuto) spec.kind = vector::BackendKind::kHnsw;
    spec.options[key] = *value;
  }
  LH_ASSIGN_OR_RETURN(auto options, ParseOptionFlags(backend_options_));
  for (const auto& [key, value] : options) spec.options[key] = value;
  return spec;
}

Result<vector::BackendOptions> ParseOptionFlags(const std::vector<std::string>& flags) {
  vector::BackendOptions out;
  for (const auto& option : flags) {
    auto eq = option.find('=');
    int64_t value = 0;
    auto [end, error] = std::from_chars(option.data() + (eq == std::string::npos ? 0 : eq + 1),
                                        option.data() + option.size(), value);
    if (eq == std::string::npos || eq == 0 || error != std::errc() || end != option.data() + option.size()) {
      return InvalidArgument("--option takes KEY=INTEGER, e.g. --option nprobe=16 (got '" + option + "')");
    }
    out[option.substr(0, eq)] = value;
  }
  return out;
}

int IndexCommands::Run(const Config& config) const {
  if (!create_->parsed() && !list_->parsed() && !drop_->parsed() && !refresh_->parsed() && !search_->parsed() &&
      !stats_->parsed() && !doc_->parsed() && !migrate_->parsed() && !move_->parsed() && !eval_->parsed() &&
      !evalset_add_->parsed() && !evalset_list_->parsed() && !evalset_drop_->parsed()) {
    return -1;
  }
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto& indexes = (*runtime)->indexes();
  if (create_->parsed()) {
    vector::IndexManifest request;
    request.name = name_;
    request.dataset = dataset_;
    request.id_column = id_column_;
    request.text_column = text_column_;
    request.bucket = bucket_;
    request.chunking.size = static_cast<size_t>(std::max(chunk_size_, 0));
    request.chunking.overlap = chunk_overlap_ < 0 ? vector::DefaultOverlap(request.chunking.size)
                                                  : static_cast<size_t>(chunk_overlap_);
    request.embedder.provider = provider_;
    request.embedder.model = model_;
    request.embedder.url = url_;
    request.embedder.dimension = dimension_;
    auto backend = BackendFromFlags();
    if (!backend.ok()) return Fail(backend.status());
    request.backend = *backend;
    request.refresh = {*vector::ParseRefreshMode(policy_), interval_s_};  // CLI11 checked the name
    request.allow_pii = allow_pii_;
    request.chunking.redact_pii_spans = redact_spans_;
    request.text = {*vector::ParseTextStemmer(stemmer_), *vector::ParseStopWords(stop_words_)};  // CLI11 checked them
    auto prepared = indexes.Prepare(request);
    if (!prepared.ok()) return Fail(prepared.status());
    auto built = indexes.BuildPrepared(name_, ProgressLine());
    EndProgress();
    if (!built.ok()) return Fail(built.status());
    const auto& s = built->last_build;
    std::printf("index %s: %s documents, %s chunks, %s (%d dims), %s, in %.2f s (embed %.2f s, %s %.2f s)\n",
                name_.c_str(), HumanCount(built->active->doc_count).c_str(),
                HumanCount(built->active->chunk_count).c_str(), built->embedder.model.c_str(),
                built->active->dimension, vector::BackendKindName(built->active->backend.kind), s.total_ms / 1000,
                s.embed_ms / 1000, vector::BackendKindName(built->active->backend.kind), s.index_ms / 1000);
    if (s.duplicate_ids > 0) {
      std::printf("note: %s rows repeated an id already seen and were skipped\n", HumanCount(s.duplicate_ids).c_str());
    }
    return 0;
  }
  if (list_->parsed()) {
    auto list = indexes.List();
    // The same documents as GET /vectors/indexes, `stale` included.
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : list) out.push_back(server::IndexJson(m, indexes, (*runtime)->catalog()));
    if (json_) {
      // A CLI command has no background jobs; the server lists its own.
      std::cout << nlohmann::json{{"indexes", out}, {"jobs", nlohmann::json::array()}}.dump(2) << "\n";
      return 0;
    }
    std::printf("%-20s %-16s %-8s %-5s %-10s %10s %10s  %s\n", "INDEX", "DATASET", "STATUS", "STALE", "COLUMN", "DOCS",
                "CHUNKS", "MODEL");
    for (size_t i = 0; i < list.size(); ++i) PrintIndex(list[i], out[i].value("stale", false));
    return 0;
  }
  if (drop_->parsed()) {
    if (Status s = indexes.Drop(name_); !s.ok()) return Fail(s);
    std::printf("dropped index %s\n", name_.c_str());
    return 0;
  }
  if (refresh_->parsed()) {
    auto report = indexes.Refresh(name_, ProgressLine());
    EndProgress();
    if (!report.ok()) return Fail(report.status());
    const auto& s = report->stats;
    if (s.no_op) {
      std::printf("index %s is up to date: 0 chunks embedded\n", name_.c_str());
    } else {
      std::printf("index %s: %lld new, %lld changed, %lld removed documents; %lld chunks embedded in %.2f s%s\n",
                  name_.c_str(), static_cast<long long>(s.docs_added), static_cast<long long>(s.docs_changed),
                  static_cast<long long>(s.docs_removed), static_cast<long long>(s.chunks_embedded),
                  s.total_ms / 1000, report->rebuilt ? " (rebuilt)" : "");
    }
    return 0;
  }
  if (migrate_->parsed()) {
    vector::IndexPatch patch;
    auto backend = BackendFromFlags();
    if (!backend.ok()) return Fail(backend.status());
    patch.backend = *backend;
    auto patched = indexes.Patch(name_, patch);
    if (!patched.ok()) return Fail(patched.status());
    auto moved = indexes.BuildShadow(name_, ProgressLine());
    EndProgress();
    if (!moved.ok()) return Fail(moved.status());
    std::printf("index %s: now %s, %s chunks, in %.2f s (nothing re-embedded)\n", name_.c_str(),
                vector::BackendKindName(moved->active->backend.kind), HumanCount(moved->active->chunk_count).c_str(),
                moved->last_build.total_ms / 1000);
    return 0;
  }
  if (evalset_add_->parsed() || evalset_list_->parsed() || evalset_drop_->parsed()) return RunEvalSet(**runtime);
  if (eval_->parsed()) {
    Result<vector::eval::EvalSet> set = InvalidArgument("give --queries (and --qrels) files, or --set NAME");
    if (!set_name_.empty()) {
      auto store = IndexBucket(**runtime, name_);
      if (!store.ok()) return Fail(store.status());
      set = vector::eval::LoadEvalSet(**store, name_, set_name_);
    } else if (!queries_file_.empty()) {
      set = ReadEvalSetFiles(queries_file_);
    }
    if (!set.ok()) return Fail(set.status());
    vector::eval::EvalOptions options;
    // --mode defaults to vector for search; an evaluation defaults to hybrid.
    options.mode = eval_->count("--mode") ? *vector::ParseSearchMode(mode_) : vector::SearchMode::kHybrid;
    options.k = static_cast<size_t>(std::max(k_, 1));
    options.text_weight = text_weight_;
    if (eval_->count("--backend") || eval_->count("--option")) {
      auto candidate = BackendFromFlags();
      if (!candidate.ok()) return Fail(candidate.status());
      options.candidate = *candidate;
    }
    const bool tty = ::isatty(STDERR_FILENO);
    auto outcome = vector::eval::RunAndRecord((*runtime)->searcher(), indexes, name_, *set, options, tune_,
                                              [&](size_t done, size_t total) {
                                                if (done % 50 != 0 && done != total) return;
                                                std::fprintf(stderr, "%sevaluating: %zu/%zu queries%s",
                                                             tty ? "\r\033[K" : "", done, total, tty ? "" : "\n");
                                              });
    if (tty) std::fprintf(stderr, "\n");
    if (!outcome.ok()) return Fail(outcome.status());
    if (json_) {
      std::cout << server::EvalOutcomeJson(*outcome).dump(2) << "\n";
    } else {
      PrintEvalTable(*outcome);
    }
    return 0;
  }
  if (move_->parsed()) {
    auto moved = indexes.MoveToBucket(name_, target_bucket_);
    if (!moved.ok()) return Fail(moved.status());
    std::printf("index %s is now in bucket %s\n", name_.c_str(), moved->bucket.c_str());
    return 0;
  }
  if (stats_->parsed()) {
    auto stats = vector::ComputeStats(indexes, (*runtime)->buckets(), name_);
    if (!stats.ok()) return Fail(stats.status());
    std::cout << server::StatsJson(*stats).dump(2) << "\n";
    return 0;
  }
  if (doc_->parsed()) {
    // PII redacted as in `index search` from the CLI.
    vector::DocRequest request{vectors_, false, false};
    auto doc = vector::FetchDoc(indexes, (*runtime)->catalog(), name_, doc_id_, request);
    if (!doc.ok()) return Fail(doc.status());
    std::cout << server::DocJson(*doc).dump(2) << "\n";
    return 0;
  }
  vector::SearchRequest request;
  request.text = query_;
  request.k = static_cast<size_t>(std::max(k_, 1));
  request.filter = filter_;
  request.mode = *vector::ParseSearchMode(mode_);  // CLI11 checked the name
  request.text_weight = text_weight_;
  for (const auto& [value, knob] : {std::pair{ef_, "ef_search"}, {nprobe_, "nprobe"}, {refine_factor_, "refine_factor"}}) {
    if (value) request.knobs[knob] = *value;
  }
  auto result = (*runtime)->searcher().Search(name_, request);
  if (!result.ok()) return Fail(result.status());
  if (search_json_) {
    std::cout << server::SearchJson(*result).dump(2) << "\n";  // as POST /vectors/search answers, rows included
    return 0;
  }
  for (size_t i = 0; i < result->hits.size(); ++i) {
    const auto& h = result->hits[i];
    std::string text = h.text.size() > 160 ? h.text.substr(0, 157) + "..." : h.text;
    for (char& c : text) {
      if (c == '\n') c = ' ';
    }
    std::printf("%2zu. %-12s %.4f  %s\n", i + 1, h.doc_id.c_str(), h.score, text.c_str());
  }
  if (result->hits.empty()) std::printf("no hits\n");
  return 0;
}

}  // namespace lakehouse::cli
