// /vectors/*: index lifecycle, search, refresh and staleness. Builds and
// model changes run on the background scheduler unless the request says
// "wait": true; refresh runs in the request (a no-op answers at once).

#include <set>

#include "server/caller.h"
#include "server/http_util.h"
#include "server/json_views.h"
#include "server/routes.h"
#include "server/vector_requests.h"
#include "server/vector_views.h"
#include "vector/eval/eval_store.h"
#include "vector/eval/generate.h"
#include "vector/index_builder.h"
#include "vector/profile_scope.h"
#include "vector/visibility.h"

namespace lakehouse::server {

namespace {

using nlohmann::json;

Result<ai::EmbedderSpec> ParseEmbedder(const json& j) {
  if (!j.is_object()) return InvalidArgument("field 'embedder' must be an object like {\"provider\": \"hash\"}");
  ai::EmbedderSpec spec;
  LH_ASSIGN_OR_RETURN(auto provider, OptionalString(j, "provider"));
  LH_ASSIGN_OR_RETURN(auto model, OptionalString(j, "model"));
  LH_ASSIGN_OR_RETURN(auto url, OptionalString(j, "url"));
  LH_ASSIGN_OR_RETURN(auto dimension, OptionalInt(j, "dimension"));
  LH_ASSIGN_OR_RETURN(auto batch, OptionalInt(j, "batch_size"));
  if (j.contains("api_key")) {
    return InvalidArgument("embedder api keys are not accepted in requests (they would be stored); "
                           "set [vectors] openai_api_key or LAKEHOUSE_OPENAI_API_KEY on the server");
  }
  spec.provider = provider.value_or(ai::kDefaultProvider);
  spec.model = model.value_or("");
  spec.url = url.value_or("");
  for (auto [field, target] : {std::pair{"query_prefix", &spec.query_prefix}, {"document_prefix", &spec.document_prefix}}) {
    if (!j.contains(field)) continue;
    if (!j[field].is_string()) return InvalidArgument(std::string("embedder.") + field + " must be a string");
    if (spec.provider != "ollama" && spec.provider != "openai") {
      return InvalidArgument(std::string("embedder.") + field + " applies to the ollama and openai providers only");
    }
    *target = j[field].get<std::string>();
    if ((*target)->size() > 256) return InvalidArgument(std::string("embedder.") + field + " must be at most 256 bytes");
  }
  if (dimension) {
    if (*dimension < 8 || *dimension > 8192) return InvalidArgument("embedder.dimension must be between 8 and 8192");
    spec.dimension = static_cast<int>(*dimension);
  }
  if (batch) {
    if (*batch < 1 || *batch > 4096) return InvalidArgument("embedder.batch_size must be between 1 and 4096");
    spec.batch_size = static_cast<int>(*batch);
  }
  return spec;
}

Result<vector::RefreshPolicy> ParseRefreshPolicy(const json& j) {
  vector::RefreshPolicy p;
  std::string mode = "manual";
  if (j.is_string()) {
    mode = j.get<std::string>();
  } else if (j.is_object()) {
    LH_ASSIGN_OR_RETURN(auto given, OptionalString(j, "mode"));
    LH_ASSIGN_OR_RETURN(auto interval, OptionalInt(j, "interval_s"));
    mode = given.value_or("manual");
    p.interval_s = interval.value_or(0);
  } else {
    return InvalidArgument("refresh_policy must be \"manual\", \"on_append\" or {\"mode\": \"scheduled\", \"interval_s\": N}");
  }
  auto parsed = vector::ParseRefreshMode(mode);
  if (!parsed) return InvalidArgument("refresh policy must be manual, on_append or scheduled (got '" + mode + "')");
  p.mode = *parsed;
  LH_RETURN_IF_ERROR(vector::ValidateRefreshPolicy(p));
  return p;
}

// Integer settings by name from an object, e.g. {"m": 16}.
Result<vector::BackendOptions> ParseOptions(const json& j, const char* field) {
  if (!j.is_object()) return InvalidArgument(std::string("field '") + field + "' must be an object of integers");
  vector::BackendOptions options;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number_integer()) {
      return InvalidArgument(std::string("field '") + field + "." + key + "' must be an integer");
    }
    options[key] = value.get<int64_t>();
  }
  return options;
}

}  // namespace

// "backend": auto | flat | hnsw | ivf_pq with "backend_options"; the older
// "hnsw": {m, ef_construction, ef_search} means backend hnsw.
Result<vector::BackendSpec> ParseBackend(const json& body) {
  vector::BackendSpec spec;
  LH_ASSIGN_OR_RETURN(auto kind, OptionalString(body, "backend"));
  if (kind) {
    LH_ASSIGN_OR_RETURN(spec.kind, vector::ParseBackendKind(*kind));
  }
  if (body.contains("backend_options")) {
    LH_ASSIGN_OR_RETURN(spec.options, ParseOptions(body["backend_options"], "backend_options"));
  }
  if (body.contains("hnsw")) {
    if (kind && spec.kind != vector::BackendKind::kHnsw) {
      return InvalidArgument("field 'hnsw' sets HNSW options, but backend is " + *kind + "; use backend_options");
    }
    spec.kind = vector::BackendKind::kHnsw;
    LH_ASSIGN_OR_RETURN(auto legacy, ParseOptions(body["hnsw"], "hnsw"));
    spec.options.merge(legacy);
  }
  LH_RETURN_IF_ERROR(vector::ValidateBackendOptions(spec));
  return spec;
}

namespace {

// Query knobs given as top-level fields (ef is ef_search's short name).
Result<vector::BackendOptions> ParseKnobs(const json& body) {
  vector::BackendOptions knobs;
  for (const auto& [field, knob] : std::vector<std::pair<const char*, const char*>>{
           {"ef", "ef_search"}, {"ef_search", "ef_search"}, {"nprobe", "nprobe"}, {"refine_factor", "refine_factor"}}) {
    LH_ASSIGN_OR_RETURN(auto value, OptionalInt(body, field));
    if (value) knobs[knob] = *value;
  }
  return knobs;
}

Result<vector::IndexManifest> ParseCreate(const json& body) {
  vector::IndexManifest m;
  LH_ASSIGN_OR_RETURN(auto name, OptionalString(body, "name"));
  LH_ASSIGN_OR_RETURN(auto dataset, OptionalString(body, "dataset"));
  LH_ASSIGN_OR_RETURN(auto id_column, OptionalString(body, "id_column"));
  LH_ASSIGN_OR_RETURN(auto text_column, OptionalString(body, "text_column"));
  LH_ASSIGN_OR_RETURN(auto bucket, OptionalString(body, "bucket"));
  LH_ASSIGN_OR_RETURN(auto chunk_size, OptionalInt(body, "chunk_size"));
  LH_ASSIGN_OR_RETURN(auto chunk_overlap, OptionalInt(body, "chunk_overlap"));
  LH_ASSIGN_OR_RETURN(auto allow_pii, OptionalBool(body, "allow_pii"));
  LH_ASSIGN_OR_RETURN(auto redact_spans, OptionalBool(body, "redact_pii_spans"));
  LH_ASSIGN_OR_RETURN(auto stemmer, OptionalString(body, "text_stemmer"));
  LH_ASSIGN_OR_RETURN(auto stop_words, OptionalString(body, "stop_words"));
  if (!name || !dataset || !id_column || !text_column) {
    return InvalidArgument("fields name, dataset, id_column and text_column are required");
  }
  m.name = *name;
  m.dataset = *dataset;
  m.id_column = *id_column;
  m.text_column = *text_column;
  m.bucket = bucket.value_or("");
  if (chunk_size) m.chunking.size = static_cast<size_t>(std::max<int64_t>(*chunk_size, 0));
  if (chunk_overlap) {
    m.chunking.overlap = static_cast<size_t>(std::max<int64_t>(*chunk_overlap, 0));
  } else if (chunk_size) {
    m.chunking.overlap = vector::DefaultOverlap(m.chunking.size);
  }
  m.allow_pii = allow_pii.value_or(false);
  m.chunking.redact_pii_spans = redact_spans.value_or(false);
  if (stemmer) {
    auto parsed = vector::ParseTextStemmer(*stemmer);
    if (!parsed) return InvalidArgument("text_stemmer must be \"porter\" (English stems) or \"none\"");
    m.text.stemmer = *parsed;
  }
  if (stop_words) {
    auto parsed = vector::ParseStopWords(*stop_words);
    if (!parsed) return InvalidArgument("stop_words must be \"english\" or \"none\"");
    m.text.stop_words = *parsed;
  }
  if (body.contains("embedder")) {
    LH_ASSIGN_OR_RETURN(m.embedder, ParseEmbedder(body["embedder"]));
  }
  LH_ASSIGN_OR_RETURN(m.backend, ParseBackend(body));
  if (body.contains("refresh_policy")) {
    LH_ASSIGN_OR_RETURN(m.refresh, ParseRefreshPolicy(body["refresh_policy"]));
  }
  return m;
}

// ?name=true|false; absent is false.
Result<bool> BoolParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  std::string value = req.get_param_value(name);
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return InvalidArgument(std::string("query parameter '") + name + "' must be true or false (got '" + value + "')");
}


// An eval set in a request: {"queries": [{"id", "text", "relevant": {doc: grade}}]}
// or BEIR's files as text, {"beir": {"queries": "...", "qrels": "..."}}.
Result<vector::eval::EvalSet> ParseEvalSet(const json& body) {
  if (body.contains("beir")) {
    const json& beir = body["beir"];
    if (!beir.is_object() || !beir.contains("queries") || !beir["queries"].is_string() ||
        (beir.contains("qrels") && !beir["qrels"].is_string())) {
      return InvalidArgument("\"beir\" takes {\"queries\": TEXT, \"qrels\": TEXT} (BEIR's TSV or JSON lines)");
    }
    return vector::eval::ParseBeir("request", beir["queries"].get<std::string>(), beir.value("qrels", ""));
  }
  if (!body.contains("queries") || !body["queries"].is_array()) {
    return InvalidArgument("give \"queries\": [{\"id\", \"text\", \"relevant\": {DOC_ID: GRADE}}] or \"beir\"");
  }
  vector::eval::EvalSet set;
  set.name = "request";
  std::set<std::string> ids;
  for (const auto& q : body["queries"]) {
    if (!q.is_object() || !q.contains("text") || !q["text"].is_string()) {
      return InvalidArgument("each query needs \"text\" (a string)");
    }
    vector::eval::EvalQuery query;
    query.text = q["text"].get<std::string>();
    query.id = q.contains("id") && q["id"].is_string() ? q["id"].get<std::string>() : std::to_string(set.queries.size());
    if (!ids.insert(query.id).second) return InvalidArgument("query id '" + query.id + "' appears twice");
    if (query.text.size() > vector::kMaxQueryBytes) {
      return InvalidArgument("query '" + query.id + "' is longer than " + std::to_string(vector::kMaxQueryBytes) + " bytes");
    }
    if (q.contains("relevant")) {
      if (!q["relevant"].is_object()) return InvalidArgument("\"relevant\" maps doc ids to integer grades");
      for (const auto& [doc, grade] : q["relevant"].items()) {
        if (!grade.is_number_integer() || grade.get<int64_t>() < 0 || grade.get<int64_t>() > 100) {
          return InvalidArgument("the grade of '" + doc + "' must be an integer from 0 to 100");
        }
        query.relevant[doc] = grade.get<int>();
      }
    }
    set.queries.push_back(std::move(query));
  }
  if (set.queries.empty()) return InvalidArgument("the eval set has no queries");
  if (set.queries.size() > 100000) return TooLarge("at most 100,000 queries per evaluation");
  return set;
}

}  // namespace

Result<vector::SearchRequest> ParseSearch(const json& body) {
  vector::SearchRequest r;
  LH_ASSIGN_OR_RETURN(auto text, OptionalString(body, "text"));
  LH_ASSIGN_OR_RETURN(auto k, OptionalInt(body, "k"));
  LH_ASSIGN_OR_RETURN(r.knobs, ParseKnobs(body));
  LH_ASSIGN_OR_RETURN(auto filter, OptionalString(body, "filter"));
  LH_ASSIGN_OR_RETURN(auto mode, OptionalString(body, "mode"));
  LH_ASSIGN_OR_RETURN(auto include_rows, OptionalBool(body, "include_rows"));
  LH_ASSIGN_OR_RETURN(auto include_pii, OptionalBool(body, "include_pii"));
  if (body.contains("text_weight") && !body["text_weight"].is_null()) {  // null: the index's own
    if (!body["text_weight"].is_number()) return InvalidArgument("text_weight must be a number between 0 and 1");
    r.text_weight = body["text_weight"].get<double>() + 0.0;  // -0 is 0
  }
  r.text = text.value_or("");
  if (k) {
    if (*k < 1 || *k > 1000) return InvalidArgument("k must be between 1 and 1000");
    r.k = static_cast<size_t>(*k);
  }
  r.filter = filter.value_or("");
  auto parsed_mode = vector::ParseSearchMode(mode.value_or("vector"));
  if (!parsed_mode) return InvalidArgument("mode must be vector, text or hybrid (got '" + *mode + "')");
  r.mode = *parsed_mode;
  r.include_rows = include_rows.value_or(true);
  r.include_pii = include_pii.value_or(false);
  if (body.contains("vector") && !body["vector"].is_null()) {
    if (!body["vector"].is_array()) return InvalidArgument("field 'vector' must be an array of numbers");
    for (const auto& x : body["vector"]) {
      if (!x.is_number()) return InvalidArgument("field 'vector' must be an array of numbers");
      r.vector.push_back(x.get<float>());
    }
  }
  return r;
}

void RegisterVectorRoutes(httplib::Server& http, app::Runtime& rt) {
  auto& indexes = rt.indexes();
  auto& catalog = rt.catalog();
  auto& scheduler = rt.scheduler();
  auto& searcher = rt.searcher();

  http.Post("/vectors/indexes", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto wait, OptionalBool(body, "wait"));
    LH_ASSIGN_OR_RETURN(auto request, ParseCreate(body));
    LH_ASSIGN_OR_RETURN(auto profile_id, OptionalString(body, "profile"));
    if (profile_id) {
      LH_ASSIGN_OR_RETURN(auto profile, rt.profiles().Get(*profile_id));
      vector::GivenFields given{body.contains("embedder"),
                                body.contains("backend") || body.contains("backend_options") || body.contains("hnsw"),
                                body.contains("bucket")};
      LH_RETURN_IF_ERROR(vector::ApplyProfile(profile, given, request));
      // A request that fails on its dataset leaves no bucket behind.
      LH_RETURN_IF_ERROR(catalog.Get(request.dataset).status());
      if (!given.bucket && !profile.bucket.empty()) LH_RETURN_IF_ERROR(rt.EnsureProfileBucket(profile.bucket));
    }
    LH_ASSIGN_OR_RETURN(auto prepared, indexes.Prepare(request));
    if (wait.value_or(false)) {
      LH_ASSIGN_OR_RETURN(auto built, indexes.BuildPrepared(prepared.name));
      SendJson(res, IndexJson(built, indexes, catalog), 201);
      return Status::Ok();
    }
    scheduler.SubmitBuild(prepared.name);
    SendJson(res, IndexJson(prepared, indexes, catalog), 202);
    return Status::Ok();
  }));
  http.Get("/vectors/indexes", Guarded([&](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const auto& m : indexes.List()) list.push_back(IndexJson(m, indexes, catalog));
    SendJson(res, {{"indexes", list}, {"jobs", scheduler.Pending()}});
    return Status::Ok();
  }));
  http.Get(R"(/vectors/indexes/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto m, indexes.Get(req.matches[1]));
    SendJson(res, IndexJson(m, indexes, catalog));
    return Status::Ok();
  }));
  http.Get(R"(/vectors/indexes/([^/]+)/stats)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto stats, vector::ComputeStats(indexes, rt.buckets(), req.matches[1]));
    SendJson(res, StatsJson(stats));
    return Status::Ok();
  }));
  http.Get(R"(/vectors/indexes/([^/]+)/docs/(.+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    vector::DocRequest request;
    LH_ASSIGN_OR_RETURN(request.include_vectors, BoolParam(req, "vectors"));
    LH_ASSIGN_OR_RETURN(request.include_pii, BoolParam(req, "include_pii"));
    request.may_see_pii = CallerSeesPii();
    LH_ASSIGN_OR_RETURN(auto doc, vector::FetchDoc(indexes, catalog, req.matches[1], req.matches[2], request));
    SendJson(res, DocJson(doc));
    return Status::Ok();
  }));
  http.Patch(R"(/vectors/indexes/([^/]+)/bucket)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    for (const auto& [key, value] : body.items()) {
      if (key != "bucket") return InvalidArgument("field '" + key + "' is not known here; the body is {\"bucket\": NAME}");
    }
    LH_ASSIGN_OR_RETURN(auto bucket, OptionalString(body, "bucket"));
    if (!bucket) return InvalidArgument("field 'bucket' is required, e.g. {\"bucket\": \"cold\"}");
    LH_ASSIGN_OR_RETURN(auto m, indexes.MoveToBucket(req.matches[1], *bucket));
    SendJson(res, IndexJson(m, indexes, catalog));
    return Status::Ok();
  }));

  http.Patch(R"(/vectors/indexes/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    // What a PATCH can change; anything else (chunking, columns, PII
    // settings) needs a new index, and a field silently ignored would hide that.
    static const std::set<std::string> kPatchable = {"embedder", "refresh_policy", "backend", "backend_options", "hnsw",
                                                      "ef",       "ef_search",      "nprobe",  "refine_factor",   "wait",
                                                      "text_weight"};
    for (const auto& [key, value] : body.items()) {
      if (!kPatchable.count(key)) {
        return InvalidArgument("field '" + key +
                               "' cannot be changed on an existing index (PATCH takes embedder, refresh_policy, "
                               "backend, backend_options, ef, nprobe, refine_factor, text_weight, wait); create a new index for it");
      }
    }
    vector::IndexPatch patch;
    if (body.contains("embedder")) {
      LH_ASSIGN_OR_RETURN(patch.embedder, ParseEmbedder(body["embedder"]));
    }
    if (body.contains("refresh_policy")) {
      LH_ASSIGN_OR_RETURN(patch.refresh, ParseRefreshPolicy(body["refresh_policy"]));
    }
    LH_ASSIGN_OR_RETURN(patch.search_defaults, ParseKnobs(body));
    if (body.contains("text_weight")) {
      const json& w = body["text_weight"];
      if (!w.is_null() && !w.is_number()) {
        return InvalidArgument("text_weight must be a number between 0 and 1, or null for the default");
      }
      patch.text_weight = w.is_null() ? std::optional<double>() : std::optional<double>(w.get<double>() + 0.0);
    }
    if (body.contains("backend") || body.contains("backend_options") || body.contains("hnsw")) {
      LH_ASSIGN_OR_RETURN(patch.backend, ParseBackend(body));
    }
    LH_ASSIGN_OR_RETURN(auto wait, OptionalBool(body, "wait"));
    LH_ASSIGN_OR_RETURN(auto m, indexes.Patch(req.matches[1], patch));
    if (patch.embedder || patch.backend) {
      if (wait.value_or(false)) {
        LH_ASSIGN_OR_RETURN(m, indexes.BuildShadow(m.name));
      } else {
        scheduler.SubmitShadow(m.name);
        SendJson(res, IndexJson(m, indexes, catalog), 202);
        return Status::Ok();
      }
    }
    SendJson(res, IndexJson(m, indexes, catalog));
    return Status::Ok();
  }));
  http.Delete(R"(/vectors/indexes/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_RETURN_IF_ERROR(indexes.Drop(req.matches[1]));
    SendJson(res, {{"dropped", std::string(req.matches[1])}});
    return Status::Ok();
  }));
  http.Post(R"(/vectors/search/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto request, ParseSearch(body));
    request.may_see_pii = CallerSeesPii();
    LH_ASSIGN_OR_RETURN(auto result, searcher.Search(req.matches[1], request));
    SendJson(res, SearchJson(result));
    return Status::Ok();
  }));
  // The bucket of an index's files (its eval sets live there).
  // Captured by value by the routes below: this function returns before they run.
  auto index_store = [&indexes, &rt](const std::string& name) -> Result<std::shared_ptr<storage::ObjectStore>> {
    LH_ASSIGN_OR_RETURN(auto m, indexes.Get(name));
    return rt.buckets().Get(m.bucket);
  };
  http.Post(R"(/vectors/indexes/([^/]+)/evalsets)", Guarded([&, index_store](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto name, OptionalString(body, "name"));
    if (!name) return InvalidArgument("field 'name' is required (the eval set's name)");
    LH_ASSIGN_OR_RETURN(auto replace, OptionalBool(body, "replace"));
    vector::eval::EvalSet set;
    if (body.contains("generate")) {
      const json& g = body["generate"];
      if (!g.is_object()) return InvalidArgument("field 'generate' must be an object like {\"queries\": 100}");
      LH_ASSIGN_OR_RETURN(auto count, OptionalInt(g, "queries"));
      LH_ASSIGN_OR_RETURN(auto seed, OptionalInt(g, "seed"));
      vector::eval::GenerateOptions options;
      if (count) options.queries = *count < 1 ? 0 : static_cast<size_t>(*count);
      if (seed) options.seed = static_cast<uint64_t>(*seed);
      LH_ASSIGN_OR_RETURN(auto loaded, indexes.Acquire(req.matches[1]));
      LH_ASSIGN_OR_RETURN(set, vector::eval::GenerateEvalSet(*loaded, *name, options));
    } else {
      LH_ASSIGN_OR_RETURN(set, ParseEvalSet(body));
    }
    set.name = *name;
    LH_ASSIGN_OR_RETURN(auto store, index_store(req.matches[1]));
    LH_RETURN_IF_ERROR(vector::eval::SaveEvalSet(*store, req.matches[1], set, replace.value_or(false)));
    size_t labelled = 0;
    for (const auto& q : set.queries) labelled += !q.relevant.empty();
    SendJson(res, {{"index", req.matches[1]}, {"name", set.name}, {"queries", set.queries.size()}, {"labelled", labelled}},
             201);
    return Status::Ok();
  }));
  http.Get(R"(/vectors/indexes/([^/]+)/evalsets)", Guarded([&, index_store](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto store, index_store(req.matches[1]));
    json list = json::array();
    for (const auto& info : vector::eval::ListEvalSets(*store, req.matches[1])) {
      list.push_back({{"name", info.name}, {"queries", info.queries}, {"labelled", info.labelled}});
    }
    SendJson(res, {{"index", req.matches[1]}, {"evalsets", list}});
    return Status::Ok();
  }));
  http.Get(R"(/vectors/indexes/([^/]+)/evalsets/([^/]+))", Guarded([&, index_store](const httplib::Request& req, httplib::Response& res) {
    // Queries generated from the text, and relevant documents by id: PII
    // when those columns are, shown only as search shows them.
    LH_ASSIGN_OR_RETURN(auto manifest, indexes.Get(req.matches[1]));
    auto visibility = vector::VisibilityOf(catalog.Get(manifest.dataset), manifest, CallerSeesPii());
    if (visibility.hide_id || visibility.hide_text) {
      return PermissionDenied("index '" + manifest.name + "' is built over PII or restricted columns, whose values its "
                              "eval sets hold; reading one needs an API key with the pii grant");
    }
    LH_ASSIGN_OR_RETURN(auto store, index_store(req.matches[1]));
    LH_ASSIGN_OR_RETURN(auto set, vector::eval::LoadEvalSet(*store, req.matches[1], req.matches[2]));
    json j = vector::eval::EvalSetToJson(set);
    j["index"] = req.matches[1];
    SendJson(res, j);
    return Status::Ok();
  }));
  http.Delete(R"(/vectors/indexes/([^/]+)/evalsets/([^/]+))", Guarded([&, index_store](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto store, index_store(req.matches[1]));
    LH_RETURN_IF_ERROR(vector::eval::DropEvalSet(*store, req.matches[1], req.matches[2]));
    SendJson(res, {{"index", req.matches[1]}, {"dropped", req.matches[2].str()}});
    return Status::Ok();
  }));
  http.Post(R"(/vectors/indexes/([^/]+)/eval)", Guarded([&, index_store](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto stored, OptionalString(body, "set"));
    vector::eval::EvalSet set;
    if (stored) {
      LH_ASSIGN_OR_RETURN(auto store, index_store(req.matches[1]));
      LH_ASSIGN_OR_RETURN(set, vector::eval::LoadEvalSet(*store, req.matches[1], *stored));
    } else {
      LH_ASSIGN_OR_RETURN(set, ParseEvalSet(body));
    }
    // A run answers when every query is done: about a minute of use-lite
    // queries at most, not a request held for half an hour.
    constexpr size_t kMaxHttpEvalQueries = 10000;
    if (set.queries.size() > kMaxHttpEvalQueries) {
      return TooLarge("at most 10,000 queries per evaluation over HTTP (this set has " +
                      std::to_string(set.queries.size()) + "); run larger sets with `lakehouse index eval`");
    }
    // The search fields that apply to a whole run.
    json search = {{"text", "x"}};
    for (const char* key : {"k", "mode", "text_weight", "ef", "ef_search", "nprobe", "refine_factor"}) {
      if (body.contains(key)) search[key] = body[key];
    }
    if (!search.contains("mode")) search["mode"] = "hybrid";
    LH_ASSIGN_OR_RETURN(auto tune, OptionalBool(body, "tune"));
    LH_ASSIGN_OR_RETURN(auto parsed, ParseSearch(search));
    vector::eval::EvalOptions options;
    options.mode = parsed.mode;
    options.k = parsed.k;
    options.text_weight = parsed.text_weight;
    options.knobs = parsed.knobs;
    if (body.contains("candidate")) {
      if (!body["candidate"].is_object()) {
        return InvalidArgument("field 'candidate' must be an object like {\"backend\": \"hnsw\", \"backend_options\": {\"m\": 32}}");
      }
      LH_ASSIGN_OR_RETURN(options.candidate, ParseBackend(body["candidate"]));
    }
    LH_ASSIGN_OR_RETURN(auto outcome, vector::eval::RunAndRecord(searcher, indexes, req.matches[1], set, options,
                                                                 tune.value_or(false)));
    SendJson(res, EvalOutcomeJson(outcome));
    return Status::Ok();
  }));
  http.Post(R"(/vectors/refresh/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto only, OptionalString(body, "index"));
    std::string dataset = req.matches[1];
    LH_RETURN_IF_ERROR(catalog.Get(dataset).status());
    auto list = indexes.IndexesOfDataset(dataset);
    if (only) {
      std::erase_if(list, [&](const vector::IndexManifest& m) { return m.name != *only; });
      if (list.empty()) return NotFound("dataset '" + dataset + "' has no index named '" + *only + "'");
    }
    LH_ASSIGN_OR_RETURN(auto wait, OptionalBool(body, "wait"));
    json reports = json::array();
    int64_t embedded = 0;
    std::optional<Status> first_error;
    int refreshed_count = 0;
    if (!wait.value_or(true)) {
      for (const auto& m : list) {
        if (m.active) scheduler.SubmitRefresh(m.name);
        reports.push_back({{"index", m.name}, {"queued", m.active.has_value()}});
      }
      SendJson(res, {{"dataset", dataset}, {"indexes", reports}}, 202);
      return Status::Ok();
    }
    for (const auto& m : list) {
      // An index still building (or failed) is reported, not refreshed, and
      // does not hold back the dataset's other indexes.
      if (!m.active) {
        reports.push_back({{"index", m.name}, {"skipped", std::string("status ") + vector::IndexStatusName(m.status)}});
        continue;
      }
      auto refreshed = indexes.Refresh(m.name);
      if (!refreshed.ok()) {
        // One index that cannot refresh does not hold back the others.
        if (!first_error) first_error = refreshed.status();
        reports.push_back({{"index", m.name}, {"error", refreshed.status().message()}});
        continue;
      }
      const auto& report = *refreshed;
      ++refreshed_count;
      embedded += report.stats.chunks_embedded;
      reports.push_back({{"index", report.index},
                         {"generation", report.generation},
                         {"rebuilt", report.rebuilt},
                         {"appended", report.appended},
                         {"stats", vector::BuildStatsToJson(report.stats)}});
    }
    if (first_error && refreshed_count == 0) return *first_error;
    SendJson(res, {{"dataset", dataset}, {"chunks_embedded", embedded}, {"indexes", reports}});
    return Status::Ok();
  }));
  http.Get("/vectors/stale", Guarded([&](const httplib::Request&, httplib::Response& res) {
    json datasets = json::array(), stale_indexes = json::array();
    for (const auto& d : catalog.List()) {
      if (!d.embedding_stale_since) continue;
      json names = json::array();  // each index's refresh_policy says when it catches up
      for (const auto& m : indexes.IndexesOfDataset(d.name)) names.push_back(m.name);
      datasets.push_back({{"dataset", d.name},
                          {"embedding_stale_since", FormatTime(*d.embedding_stale_since)},
                          {"last_embedded_at", d.last_embedded_at ? json(FormatTime(*d.last_embedded_at)) : json()},
                          {"indexes", names}});
    }
    for (const auto& m : indexes.List()) {
      json j = IndexJson(m, indexes, catalog);
      if (!j["stale"].get<bool>()) continue;
      stale_indexes.push_back({{"index", m.name},
                               {"dataset", m.dataset},
                               {"last_refreshed_at", j["last_refreshed_at"]},
                               {"refresh_policy", j["refresh_policy"]}});
    }
    SendJson(res, {{"datasets", datasets}, {"indexes", stale_indexes}});
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
