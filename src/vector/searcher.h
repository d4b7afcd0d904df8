// Search over an index: by meaning (its vector backend), by words (FTS5 bm25), or both
// fused (FuseScores), optionally restricted by a SQL filter on
// the dataset's columns, each hit joined with its dataset row (PII columns
// redacted unless the caller may see them and asks).
//
// Hits are documents (the best chunk of each), so k hits are k rows. A
// filter becomes an id set through the sandboxed SQL engine; a selective
// one is searched exactly over its chunks, a broad one through the graph
// with the candidate count widened until k allowed documents are found.
#pragma once

#include <optional>
#include <unordered_set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/query_engine.h"
#include "vector/index_registry.h"
#include "vector/search_mode.h"

namespace lakehouse::vector {

// Hybrid search fuses the text and vector lists by a convex combination of
// their min-max normalised scores. On ../shared/eval/faq (docs/benchmarks.md,
// porter stems and English stop words) 0.7 is best, with 0.6, for the
// default use-lite+hash (nDCG@10 0.699 against text 0.670), best for use-lite
// (0.692) and within 0.002 of best for hash, while reciprocal rank fusion
// ranked below text alone (0.574-0.639):
// a weak vector list dragged the good one down. An index's tuned weight
// (eval with "tune") replaces this default.
inline constexpr double kDefaultTextWeight = 0.7;

struct SearchRequest {
  std::string text;
  std::vector<float> vector;  // instead of text: a query vector of the index's dimension
  size_t k = 10;
  BackendOptions knobs;       // query knobs of the index's backend (ef_search, nprobe, refine_factor)
  std::string filter;         // SQL condition on the dataset's columns; empty: none
  SearchMode mode = SearchMode::kVector;
  // Hybrid: the weight of the text list in the fusion (the vector list
  // gets 1 - this; see FuseScores). None: the index's own (tuned) weight,
  // else kDefaultTextWeight.
  std::optional<double> text_weight;
  bool include_rows = true;
  bool include_pii = false;   // asked for PII columns in the rows
  bool may_see_pii = false;   // decided at the edge (the PII access token)
  // Embeds the query instead of the index's own embedder: a profile's
  // (same model, its server and keep_alive). Checked to be of the
  // index's vector space before it gets here.
  std::optional<ai::EmbedderSpec> query_embedder;
};

struct SearchHit {
  std::string doc_id;
  int64_t chunk_index = 0;
  std::string text;
  float score = 0;                // cosine (vector), -bm25 (text), fused, 0 to 1 (hybrid)
  std::optional<float> vector_score;
  std::optional<float> text_score;
  std::vector<engine::Cell> row;  // the dataset row, in row_columns order (empty if gone)
};

struct SearchResponse {
  std::string index;
  SearchMode mode = SearchMode::kVector;
  double text_weight = kDefaultTextWeight;  // hybrid: the weight used
  std::string model;
  std::vector<SearchHit> hits;
  std::vector<engine::ResultColumn> row_columns;
  std::vector<std::string> redacted_columns;
  bool filtered = false;
  int64_t filter_matching_docs = 0;
  // <backend> | <backend>_filtered | <backend>_widened | exact | text
  // (backend: flat, hnsw, ivf_pq)
  std::string strategy;
  double embed_ms = 0, filter_ms = 0, search_ms = 0, join_ms = 0, total_ms = 0;
};

// Maximum chunks scored exactly for a filtered search; larger id sets go
// through the backend's own filter (hnswlib's, FAISS's IDSelector). On
// 100,000 x 768, 2 cores (bench/backend_bench, docs/benchmarks.md), exact
// against the backend's filter is 0.86x (ivf_pq) and 0.87x (hnsw) of the
// time at 2,048 allowed rows and 3.2x / 2.3x at 4,096, with recall 1.0
// against 0.98-0.99: the crossover lies between, and exact wins ties.
inline constexpr size_t kExactSearchMaxChunks = 2048;
// A filter matching more documents than this is refused (413): the id set
// is held in memory.
inline constexpr size_t kMaxFilterIds = 1000000;

// A filter is one SQL condition: balanced parentheses, closed quotes, no
// ';' and no comments, so it cannot leave the WHERE clause it is put in.
Status ValidateFilter(const std::string& filter);
// The identifiers a filter names (words outside '...' strings, and "..."
// quoted names), for the PII check.
std::vector<std::string> FilterIdentifiers(const std::string& filter);

// Documents ranked by a search, before they are shown: what the
// evaluation harness scores.
struct RankedDoc {
  std::string doc_id;
  int64_t label = 0;  // its best chunk
  float score = 0;
  std::optional<float> vector_score, text_score;
};
struct Retrieval {
  std::vector<RankedDoc> docs;  // best first, at most k
  std::string strategy;         // as SearchResponse::strategy
  double text_weight = kDefaultTextWeight;  // hybrid: the weight used
  double embed_ms = 0, search_ms = 0;
};

// The ids a filter allows (null: no filter), and what finding them took.
struct FilterIds {
  std::optional<std::unordered_set<std::string>> ids;
  double ms = 0;
};

class Searcher {
 public:
  Searcher(IndexRegistry& indexes, catalog::Catalog& catalog, engine::QueryEngine& query);
  ~Searcher();
  // Validate, acquire, filter, retrieve, present, join: the stages below.
  Result<SearchResponse> Search(const std::string& index, const SearchRequest& request);

  // The request alone: k, mode and text, PII permission.
  static Status Validate(const SearchRequest& request);
  // The served generation and its manifest (and the query embedder when
  // the request's vector must be computed from its text).
  Result<IndexRegistry::Serving> Acquire(const std::string& index, const SearchRequest& request);
  // The document ids the request's filter allows, through the sandboxed
  // SQL engine; PII columns may be named only with the PII token.
  Result<FilterIds> Filter(const IndexRegistry::Serving& target, const SearchRequest& request);
  // Ranked documents by meaning, words or both, within `allowed` when given.
  Result<Retrieval> Retrieve(const IndexRegistry::Serving& target, const SearchRequest& request,
                             const std::unordered_set<std::string>* allowed);

 private:
  // Hits as the caller may see them (PII in the text redacted; ids are
  // hidden by Search after the join, which needs them).
  void Present(const IndexRegistry::Serving& target, const SearchRequest& request, const Retrieval& ranked,
               const Result<catalog::Manifest>& dataset, SearchResponse& out) const;
  // Each hit's dataset row, PII columns and spans redacted.
  Status Join(const IndexRegistry::Serving& target, const SearchRequest& request,
              const Result<catalog::Manifest>& dataset, SearchResponse& out);

  IndexRegistry& indexes_;
  catalog::Catalog& catalog_;
  engine::QueryEngine& query_;
  std::unique_ptr<class RowJoiner> rows_;  // the hits' dataset rows
};

// Scales a query vector to unit length; InvalidArgument when it is zero or not finite.
Status Normalize(std::vector<float>& v);

// The weight a hybrid search of `manifest`'s index uses: the request's, the
// index's own, or the default.
double TextWeightFor(const SearchRequest& request, const IndexManifest& manifest);

// Scores of each list scaled to [0, 1] (best 1, worst 0; a list of one
// gives it 1), then text_weight x text + (1 - text_weight) x vector; a
// document missing from a list gets 0 there. Best first.
std::vector<std::pair<std::string, float>> FuseScores(const std::vector<std::pair<std::string, float>>& text,
                                                      const std::vector<std::pair<std::string, float>>& vector,
                                                      double text_weight);


}  // namespace lakehouse::vector
