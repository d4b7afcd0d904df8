// Search over an index: by meaning (its vector backend), by words (FTS5 bm25), or both
// fused by reciprocal rank fusion, optionally restricted by a SQL filter on
// the dataset's columns, each hit joined with its dataset row (PII columns
// redacted unless the caller may see them and asks).
//
// Hits are documents (the best chunk of each), so k hits are k rows. A
// filter becomes an id set through the sandboxed SQL engine; a selective
// one is searched exactly over its chunks, a broad one through the graph
// with the candidate count widened until k allowed documents are found.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/query_engine.h"
#include "vector/index_registry.h"

namespace lakehouse::vector {

// vector: by meaning; text: full-text (BM25) words; hybrid: both, fused.
enum class SearchMode { kVector, kText, kHybrid };
const char* SearchModeName(SearchMode mode);
std::optional<SearchMode> ParseSearchMode(std::string_view name);

struct SearchRequest {
  std::string text;
  std::vector<float> vector;  // instead of text: a query vector of the index's dimension
  size_t k = 10;
  BackendOptions knobs;       // query knobs of the index's backend (ef_search, nprobe, refine_factor)
  std::string filter;         // SQL condition on the dataset's columns; empty: none
  SearchMode mode = SearchMode::kVector;
  bool include_rows = true;
  bool include_pii = false;   // asked for PII columns in the rows
  bool may_see_pii = false;   // decided at the edge (the PII access token)
};

struct SearchHit {
  std::string doc_id;
  int64_t chunk_index = 0;
  std::string text;
  float score = 0;                // cosine (vector), -bm25 (text), RRF (hybrid)
  std::optional<float> vector_score;
  std::optional<float> text_score;
  std::vector<engine::Cell> row;  // the dataset row, in row_columns order (empty if gone)
};

struct SearchResponse {
  std::string index;
  SearchMode mode = SearchMode::kVector;
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

// Maximum chunks scored exactly for a filtered search: scattered reads of
// 768-float vectors cost ~2 us each (bench/vector_bench), so 4096 is ~8 ms;
// larger id sets go through the graph, widened until k documents pass.
inline constexpr size_t kExactSearchMaxChunks = 4096;
// A filter matching more documents than this is refused (413): the id set
// is held in memory.
inline constexpr size_t kMaxFilterIds = 1000000;

// A filter is one SQL condition: balanced parentheses, closed quotes, no
// ';' and no comments, so it cannot leave the WHERE clause it is put in.
Status ValidateFilter(const std::string& filter);
// The identifiers a filter names (words outside '...' strings, and "..."
// quoted names), for the PII check.
std::vector<std::string> FilterIdentifiers(const std::string& filter);

class Searcher {
 public:
  Searcher(IndexRegistry& indexes, catalog::Catalog& catalog, engine::QueryEngine& query);
  ~Searcher();
  Result<SearchResponse> Search(const std::string& index, const SearchRequest& request);

 private:
  IndexRegistry& indexes_;
  catalog::Catalog& catalog_;
  engine::QueryEngine& query_;
  std::unique_ptr<class RowJoiner> rows_;  // the hits' dataset rows
};

// Reciprocal rank fusion of ranked lists of ids: sum of 1 / (k0 + rank).
std::vector<std::pair<std::string, float>> FuseRanks(const std::vector<std::vector<std::string>>& rankings,
                                                     double k0 = 60);

}  // namespace lakehouse::vector
