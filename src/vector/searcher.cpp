#include "vector/searcher.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "common/names.h"
#include "vector/row_join.h"
#include "vector/visibility.h"

namespace lakehouse::vector {

namespace {
constexpr const char* kSearchModes[] = {"vector", "text", "hybrid"};
}  // namespace

Status Normalize(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm <= 0 || !std::isfinite(norm)) return InvalidArgument("the query vector is zero or not finite");
  float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= inv;
  return Status::Ok();
}

const char* SearchModeName(SearchMode mode) { return kSearchModes[static_cast<int>(mode)]; }

std::optional<SearchMode> ParseSearchMode(std::string_view name) {
  for (int i = 0; i < 3; ++i) {
    if (name == kSearchModes[i]) return static_cast<SearchMode>(i);
  }
  return std::nullopt;
}

namespace {

using Clock = std::chrono::steady_clock;


// Best chunk per document, in rank order, at most k documents.
struct DocHit {
  std::string doc_id;
  int64_t label = 0;
  float score = 0;
};

std::vector<DocHit> BestPerDoc(const LoadedIndex& index, const std::vector<Hit>& hits,
                               const std::unordered_set<std::string>* allowed, size_t k) {
  std::vector<DocHit> out;
  std::unordered_set<std::string> seen;
  for (const Hit& h : hits) {
    const ChunkRow* chunk = index.chunks.Find(h.label);
    if (!chunk) continue;
    const std::string& doc = chunk->doc_id;
    if (allowed && !allowed->count(doc)) continue;
    if (!seen.insert(doc).second) continue;
    out.push_back({doc, h.label, h.score});
    if (out.size() >= k) break;
  }
  return out;
}


// Vector hits for k documents, honouring the allowed set by exact search
// over its chunks when small, else through the backend: filtered as it
// scans where it can, else by widening an unfiltered search.
Result<std::vector<DocHit>> VectorSearch(const LoadedIndex& index, const std::vector<float>& query, size_t k,
                                         const BackendOptions& knobs,
                                         const std::unordered_set<std::string>* allowed, std::string* strategy) {
  const size_t total = index.chunks.size();
  if (total == 0) return std::vector<DocHit>{};
  const VectorBackend& backend = *index.backend;
  const std::string kind = BackendKindName(backend.kind());
  double chunks_per_doc = static_cast<double>(total) / std::max<size_t>(index.chunks.doc_count(), 1);
  // A graph search keeps a beam at least as wide as what it is asked for.
  auto search = [&](size_t want, const LabelFilter* filter) {
    SearchKnobs request{want, knobs};
    if (backend.kind() == BackendKind::kHnsw) {
      request.overrides["ef_search"] = std::max<int64_t>(OptionOr(knobs, {}, "ef_search", 0), static_cast<int64_t>(want));
    }
    return backend.Search(query.data(), request, filter);
  };
  // Enough of the best chunks to hold k documents, when documents have several.
  auto exact_depth = [&](size_t labels) {
    return std::min(labels, static_cast<size_t>(std::ceil(k * chunks_per_doc)) * 4 + k);
  };
  auto gather = [&] {
    std::vector<int64_t> labels;
    for (const auto& doc : *allowed) {
      if (const auto* of_doc = index.chunks.LabelsOf(doc)) labels.insert(labels.end(), of_doc->begin(), of_doc->end());
    }
    return labels;
  };
  size_t first_want = static_cast<size_t>(std::ceil(k * chunks_per_doc)) + (chunks_per_doc > 1 ? k : 0);
  if (allowed) {
    // Estimated from the document count first: gathering the labels of a
    // broad filter costs more than the graph search it leads to.
    double estimated = static_cast<double>(allowed->size()) * chunks_per_doc;
    if (estimated <= kExactSearchMaxChunks) {
      auto labels = gather();
      *strategy = "exact";
      size_t depth = exact_depth(labels.size());
      auto hits = BestPerDoc(index, backend.Score(query.data(), labels, depth), allowed, k);
      // A few documents with many close chunks can fill the depth: score all.
      if (hits.size() < k && depth < labels.size()) {
        hits = BestPerDoc(index, backend.Score(query.data(), labels, labels.size()), allowed, k);
      }
      return hits;
    }
    if (TypeOf(backend.kind()).filters_natively) {
      LabelFilter filter = [&](int64_t label) {
        const ChunkRow* chunk = index.chunks.Find(label);
        return chunk && allowed->count(chunk->doc_id) > 0;
      };
      *strategy = kind + "_filtered";
      for (size_t want = first_want;; want *= 2) {
        want = std::min(want, total);
        LH_ASSIGN_OR_RETURN(auto found, search(want, &filter));
        auto hits = BestPerDoc(index, found, allowed, k);
        if (hits.size() >= k || found.size() < want || want >= total) return hits;
      }
    }
    double selectivity = std::min(1.0, estimated / total);
    size_t want = static_cast<size_t>(std::ceil(k * chunks_per_doc / selectivity * 2));
    *strategy = kind + "_widened";
    while (true) {
      want = std::min(want, total);
      LH_ASSIGN_OR_RETURN(auto found, search(want, nullptr));
      auto hits = BestPerDoc(index, found, allowed, k);
      if (hits.size() >= k || want >= total) return hits;
      if (want >= total / 2) {
        auto labels = gather();
        *strategy = "exact";
        return BestPerDoc(index, backend.Score(query.data(), labels, labels.size()), allowed, k);
      }
      want *= 2;
    }
  }
  *strategy = kind;
  for (size_t want = first_want;; want *= 2) {
    want = std::min(want, total);
    LH_ASSIGN_OR_RETURN(auto found, search(want, nullptr));
    auto hits = BestPerDoc(index, found, nullptr, k);
    if (hits.size() >= k || want >= total) return hits;
  }
}

Result<std::vector<DocHit>> TextSearch(const LoadedIndex& index, const std::string& text, StopWords stop_words,
                                       size_t k, const std::unordered_set<std::string>* allowed) {
  const size_t total = std::max<size_t>(index.chunks.size(), 1);
  size_t want = k * 4;
  if (allowed) want = static_cast<size_t>(k * 4.0 * total / std::max<size_t>(allowed->size(), 1));
  while (true) {
    want = std::min(want, total);
    LH_ASSIGN_OR_RETURN(auto hits, index.text->Search(text, want, stop_words));
    auto docs = BestPerDoc(index, hits, allowed, k);
    if (docs.size() >= k || hits.size() < want || want >= total) return docs;
    want *= 2;
  }
}


}  // namespace

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> FilterIdentifiers(const std::string& filter) {
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  auto flush = [&] {
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  for (char c : filter) {
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      continue;
    }
    if (quote == '"') {
      if (c == '"') {
        quote = 0;
        flush();
      } else {
        word += c;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      flush();
      quote = c;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80) {
      word += c;
    } else {
      flush();
    }
  }
  flush();
  return words;
}

Status ValidateFilter(const std::string& filter) {
  // The filter goes inside "WHERE (...)": it must not be able to close that
  // parenthesis, comment out the rest, or start another statement.
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < filter.size(); ++i) {
    char c = filter[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote reopens at once: same effect
      continue;
    }
    char next = i + 1 < filter.size() ? filter[i + 1] : 0;
    char before = i > 0 ? filter[i - 1] : 0;
    char before2 = i > 1 ? filter[i - 2] : 0;
    bool identifier_before2 = std::isalnum(static_cast<unsigned char>(before2)) || before2 == '_';
    if (c == '$') {
      // Dollar-quoted strings ($$...$$) would hide quotes and parentheses
      // from this scan.
      return InvalidArgument("'$' is not allowed in a filter outside quoted strings");
    } else if (c == '\'' && (before == 'E' || before == 'e') && !identifier_before2) {
      return InvalidArgument("escape strings (E'...') are not allowed in a filter; use a plain '...' string");
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) return InvalidArgument("the filter has a ')' without its '('");
    } else if (c == ';') {
      return InvalidArgument("the filter is one SQL condition; ';' is not allowed");
    } else if ((c == '-' && next == '-') || (c == '/' && next == '*')) {
      return InvalidArgument("comments are not allowed in a filter");
    }
  }
  if (quote) return InvalidArgument("the filter has an unterminated quote");
  if (depth != 0) return InvalidArgument("the filter has an unclosed '('");
  return Status::Ok();
}

double TextWeightFor(const SearchRequest& request, const IndexManifest& manifest) {
  return request.text_weight.value_or(manifest.text_weight.value_or(kDefaultTextWeight));
}

std::vector<std::pair<std::string, float>> FuseScores(const std::vector<std::pair<std::string, float>>& text,
                                                      const std::vector<std::pair<std::string, float>>& vector,
                                                      double text_weight) {
  std::unordered_map<std::string, double> scores;
  std::vector<std::string> order;
  auto add = [&](const std::vector<std::pair<std::string, float>>& list, double weight) {
    if (list.empty()) return;
    float hi = list.front().second, lo = list.front().second;
    for (const auto& [doc, score] : list) {
      hi = std::max(hi, score);
      lo = std::min(lo, score);
    }
    for (const auto& [doc, score] : list) {
      auto [it, inserted] = scores.emplace(doc, 0.0);
      if (inserted) order.push_back(doc);
      it->second += weight * (hi > lo ? (score - lo) / (hi - lo) : 1.0);
    }
  };
  add(text, text_weight);
  add(vector, 1 - text_weight);
  std::vector<std::pair<std::string, float>> fused;
  for (const auto& id : order) fused.emplace_back(id, static_cast<float>(scores[id]));
  std::stable_sort(fused.begin(), fused.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return fused;
}

Searcher::Searcher(IndexRegistry& indexes, catalog::Catalog& catalog, engine::QueryEngine& query)
    : indexes_(indexes), catalog_(catalog), query_(query), rows_(std::make_unique<RowJoiner>(query, indexes.buckets())) {}

Searcher::~Searcher() = default;

Status Searcher::Validate(const SearchRequest& request) {
  if (request.k < 1 || request.k > 1000) return InvalidArgument("k must be between 1 and 1000");
  if (request.mode != SearchMode::kVector && request.text.empty()) {
    return InvalidArgument(std::string("mode ") + SearchModeName(request.mode) + " needs \"text\" (words to match)");
  }
  if (request.text.empty() && request.vector.empty()) return InvalidArgument("give \"text\" or \"vector\" to search for");
  if (request.text.size() > kMaxQueryBytes) {
    return InvalidArgument("the query text is " + std::to_string(request.text.size()) + " bytes; at most " +
                           std::to_string(kMaxQueryBytes) + " are searched (use its key sentences)");
  }
  if (request.include_pii && !request.may_see_pii) {
    return PermissionDenied("include_pii needs an API key with the pii grant "
                            "(lakehouse auth key create --role reader --grant pii)");
  }
  if (!request.filter.empty()) LH_RETURN_IF_ERROR(ValidateFilter(request.filter));
  if (request.text_weight && !(*request.text_weight >= 0 && *request.text_weight <= 1)) {
    return InvalidArgument("text_weight must be between 0 and 1 (the text list's share in a hybrid search)");
  }
  return Status::Ok();
}

Result<IndexRegistry::Serving> Searcher::Acquire(const std::string& name, const SearchRequest& request) {
  bool embeds = request.mode != SearchMode::kText && request.vector.empty();
  LH_ASSIGN_OR_RETURN(auto target, indexes_.Serve(name, embeds && !request.query_embedder));
  if (embeds && request.query_embedder) {
    LH_ASSIGN_OR_RETURN(target.embedder, indexes_.EmbedderFor(*request.query_embedder));
  }
  if (!request.knobs.empty()) {
    LH_RETURN_IF_ERROR(ValidateSearchKnobs(target.index->backend->kind(), request.knobs));
  }
  return target;
}

Result<FilterIds> Searcher::Filter(const IndexRegistry::Serving& target, const SearchRequest& request) {
  FilterIds out;
  if (request.filter.empty()) return out;
  auto started = Clock::now();
  if (!request.may_see_pii) {
    // Hits answer yes/no questions about what a filter names: without the
    // pii grant a filter may not name a PII column (of any dataset, as a
    // filter may hold a subquery), and it runs over the masked views, so
    // one that reaches a column without naming it sees it masked.
    // The ids come out of the masked view: a masked id matches no document.
    auto dataset = catalog_.Get(target.manifest.dataset);
    const catalog::ColumnMeta* id = dataset.ok() ? dataset->FindColumn(target.manifest.id_column) : nullptr;
    if (!id || id->is_pii || id->sensitivity == catalog::Sensitivity::kRestricted) {
      return PermissionDenied("this index's documents are identified by column '" + target.manifest.id_column +
                              "', which is masked for keys without the pii grant; a filtered search on it needs one");
    }
    // One catalog snapshot for all the filter's words.
    std::map<std::string, std::string> pii;  // lower-case name -> name
    for (const auto& d : catalog_.List()) {
      for (const auto& c : d.columns) {
        if (c.is_pii || c.sensitivity == catalog::Sensitivity::kRestricted) pii.emplace(Lower(c.name), c.name);
      }
    }
    for (const auto& word : FilterIdentifiers(request.filter)) {
      if (auto it = pii.find(Lower(word)); it != pii.end()) {
        return PermissionDenied("the filter names column '" + it->second + "', which holds PII or is restricted; "
                                "filtering on it needs an API key with the pii grant");
      }
    }
  }
  engine::QueryRequest q;
  q.sql = "SELECT DISTINCT CAST(" + QuoteIdent(target.manifest.id_column) + " AS VARCHAR) FROM " +
          QuoteIdent(target.manifest.dataset) + " WHERE (" + request.filter + ")";
  q.max_rows = static_cast<int64_t>(kMaxFilterIds);
  q.uncapped = true;
  q.first_column_strings = true;
  q.masked = !request.may_see_pii;
  auto ids = query_.Run(q);
  if (!ids.ok()) return ids.status().WithContext("filter");
  if (ids->truncated) {
    return TooLarge("the filter matches more than " + std::to_string(kMaxFilterIds) +
                    " documents; narrow it, or search without a filter");
  }
  out.ids.emplace();
  out.ids->reserve(ids->strings.size());
  for (auto& id : ids->strings) out.ids->insert(std::move(id));
  out.ms = MillisSince(started);
  return out;
}

Result<Retrieval> Searcher::Retrieve(const IndexRegistry::Serving& target, const SearchRequest& request,
                                     const std::unordered_set<std::string>* allowed) {
  const LoadedIndex& index = *target.index;
  Retrieval out;
  std::vector<DocHit> vector_hits, text_hits;
  size_t depth = request.mode == SearchMode::kHybrid ? std::max<size_t>(request.k * 4, 50) : request.k;
  if (request.mode != SearchMode::kText) {
    auto embed_started = Clock::now();
    std::vector<float> query = request.vector;
    if (query.empty()) {
      if (!target.embedder) return Internal("no query embedder was acquired for a search by text");
      LH_ASSIGN_OR_RETURN(auto vectors, target.embedder->EmbedQueries({request.text}));
      query = std::move(vectors.at(0));
    }
    if (static_cast<int>(query.size()) != index.generation.dimension) {
      return InvalidArgument("the query vector has " + std::to_string(query.size()) + " dimensions; index '" +
                             target.manifest.name + "' (" + index.generation.model + ") has " +
                             std::to_string(index.generation.dimension));
    }
    Status normalized = Normalize(query);
    out.embed_ms = MillisSince(embed_started);
    if (!normalized.ok() && request.vector.empty()) {
      // Text with nothing in it to embed (punctuation only, say): a hybrid
      // search goes on with its words alone.
      if (request.mode != SearchMode::kHybrid) {
        return InvalidArgument("the query text has nothing to search by meaning (no words); try mode \"text\"");
      }
    } else {
      LH_RETURN_IF_ERROR(normalized);
    }
    if (normalized.ok()) {
      auto search_started = Clock::now();
      // The stored defaults of the generation being served (PATCH changes
      // them without a rebuild), then this request's.
      const auto& active = target.manifest.active;
      BackendOptions knobs = QueryKnobsOf(index.backend->kind(), active && active->number == index.generation.number
                                                                     ? active->backend.options
                                                                     : index.generation.backend.options);
      for (const auto& [knob, value] : request.knobs) knobs[knob] = value;
      LH_ASSIGN_OR_RETURN(vector_hits, VectorSearch(index, query, depth, knobs, allowed, &out.strategy));
      out.search_ms += MillisSince(search_started);
    }
  }
  if (request.mode != SearchMode::kVector) {
    auto search_started = Clock::now();
    LH_ASSIGN_OR_RETURN(text_hits, TextSearch(index, request.text, target.manifest.text.stop_words, depth, allowed));
    out.search_ms += MillisSince(search_started);
    if (request.mode == SearchMode::kText) out.strategy = "text";
  }

  std::unordered_map<std::string, const DocHit*> by_vector, by_text;
  for (const auto& h : vector_hits) by_vector[h.doc_id] = &h;
  for (const auto& h : text_hits) by_text[h.doc_id] = &h;
  auto ranked = [&](const std::string& doc, int64_t label, float score) {
    RankedDoc r{doc, label, score, std::nullopt, std::nullopt};
    if (auto it = by_vector.find(doc); it != by_vector.end()) r.vector_score = it->second->score;
    if (auto it = by_text.find(doc); it != by_text.end()) r.text_score = it->second->score;
    out.docs.push_back(std::move(r));
  };
  if (request.mode == SearchMode::kVector) {
    for (const auto& h : vector_hits) ranked(h.doc_id, h.label, h.score);
  } else if (request.mode == SearchMode::kText) {
    for (const auto& h : text_hits) ranked(h.doc_id, h.label, h.score);
  } else {
    std::vector<std::pair<std::string, float>> a, b;
    for (const auto& h : text_hits) a.emplace_back(h.doc_id, h.score);
    for (const auto& h : vector_hits) b.emplace_back(h.doc_id, h.score);
    out.text_weight = TextWeightFor(request, target.manifest);
    for (const auto& [doc, score] : FuseScores(a, b, out.text_weight)) {
      const DocHit* source = by_vector.count(doc) ? by_vector[doc] : by_text[doc];
      ranked(doc, source->label, score);
      if (out.docs.size() >= request.k) break;
    }
  }
  if (out.docs.size() > request.k) out.docs.resize(request.k);
  return out;
}

void Searcher::Present(const IndexRegistry::Serving& target, const SearchRequest& request, const Retrieval& ranked,
                       const Result<catalog::Manifest>& dataset, SearchResponse& out) const {
  // An index built with allow_pii holds PII in doc ids and chunk text;
  // they are shown only to callers who asked for PII and may see it.
  const Visibility visibility = VisibilityOf(dataset, target.manifest, request.include_pii);
  for (const auto& r : ranked.docs) {
    const ChunkRow& chunk = *target.index->chunks.Find(r.label);
    SearchHit hit{r.doc_id, chunk.chunk_index, ShownText(chunk.text, visibility), r.score};
    hit.vector_score = r.vector_score;
    hit.text_score = r.text_score;
    out.hits.push_back(std::move(hit));
  }
}

Status Searcher::Join(const IndexRegistry::Serving& target, const SearchRequest& request,
                      const Result<catalog::Manifest>& dataset, SearchResponse& out) {
  if (!request.include_rows || out.hits.empty()) return Status::Ok();
  auto started = Clock::now();
  LH_RETURN_IF_ERROR(rows_->Join(dataset, target.manifest, out));
  const bool reveal = request.include_pii;
  std::vector<bool> redact(out.row_columns.size(), false);
  if (!reveal) {
    for (size_t c = 0; c < out.row_columns.size(); ++c) {
      if (IsPiiColumn(dataset, out.row_columns[c].name)) {
        redact[c] = true;
        out.redacted_columns.push_back(out.row_columns[c].name);
      }
    }
  }
  for (auto& hit : out.hits) {
    if (hit.row.empty()) continue;
    for (size_t c = 0; c < redact.size(); ++c) {
      if (redact[c] && !std::holds_alternative<std::monostate>(hit.row[c])) {
        hit.row[c] = std::string(kRedacted);
      } else if (auto* text = std::get_if<std::string>(&hit.row[c]); text && !reveal) {
        *text = ShownText(*text, Visibility{false, false, true});  // PII inside the other text columns
      }
    }
  }
  out.join_ms = MillisSince(started);
  return Status::Ok();
}

Result<SearchResponse> Searcher::Search(const std::string& name, const SearchRequest& request) {
  auto started = Clock::now();
  LH_RETURN_IF_ERROR(Validate(request));
  LH_ASSIGN_OR_RETURN(auto target, Acquire(name, request));
  LH_ASSIGN_OR_RETURN(auto allowed, Filter(target, request));
  LH_ASSIGN_OR_RETURN(auto ranked, Retrieve(target, request, allowed.ids ? &*allowed.ids : nullptr));
  SearchResponse out;
  out.index = name;
  out.mode = request.mode;
  out.model = target.index->generation.model;
  out.filtered = allowed.ids.has_value();
  out.filter_matching_docs = allowed.ids ? static_cast<int64_t>(allowed.ids->size()) : 0;
  out.filter_ms = allowed.ms;
  out.strategy = ranked.strategy;
  out.text_weight = ranked.text_weight;
  out.embed_ms = ranked.embed_ms;
  out.search_ms = ranked.search_ms;
  auto dataset = catalog_.Get(target.manifest.dataset);
  Present(target, request, ranked, dataset, out);
  LH_RETURN_IF_ERROR(Join(target, request, dataset, out));
  // Ids are hidden last: the rows were found by them.
  const Visibility visibility = VisibilityOf(dataset, target.manifest, request.include_pii);
  if (visibility.hide_id) {
    for (auto& hit : out.hits) hit.doc_id = kRedacted;
    out.redacted_columns.insert(out.redacted_columns.begin(), "doc_id");
  }
  if (visibility.hide_text) out.redacted_columns.insert(out.redacted_columns.begin(), "text");
  out.total_ms = MillisSince(started);
  return out;
}

}  // namespace lakehouse::vector
