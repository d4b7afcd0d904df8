// The dataset rows of search hits. A DuckDB query per search costs about
// 1.5 ms even for ten ids; the rows of a small dataset are kept by id in
// memory instead (loaded once per version of the dataset), so joining hits
// is a lookup. Larger datasets are still joined with a query.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/manifest.h"
#include "engine/query_engine.h"
#include "vector/index_manifest.h"
#include "vector/searcher.h"

namespace lakehouse::vector {

class RowJoiner {
 public:
  // Datasets of up to `max_rows` rows (current version) are kept, up to
  // `total_rows` in all; past that the cache starts again.
  explicit RowJoiner(engine::QueryEngine& query, int64_t max_rows = 200000, int64_t total_rows = 500000)
      : query_(query), max_rows_(max_rows), total_rows_(total_rows) {}

  // Fills out.row_columns and each hit's row, as stored (redaction is the
  // caller's). The indexed text column is left out: the hit carries the chunk.
  Status Join(const Result<catalog::Manifest>& dataset, const IndexManifest& index, SearchResponse& out);

 private:
  struct Rows {
    std::vector<engine::ResultColumn> columns;
    std::unordered_map<std::string, std::vector<engine::Cell>> by_id;
  };
  std::string SelectList(const Result<catalog::Manifest>& dataset, const IndexManifest& index) const;
  // The kept rows of the dataset's current version, or null when it is too big to keep.
  Result<std::shared_ptr<const Rows>> Kept(const catalog::Manifest& dataset, const IndexManifest& index);

  engine::QueryEngine& query_;
  const int64_t max_rows_, total_rows_;
  std::mutex mutex_;  // also held while a dataset loads: one load at a time
  struct Entry {
    std::string signature;  // the dataset's files when loaded
    std::shared_ptr<const Rows> rows;
  };
  std::map<std::string, Entry> kept_;  // dataset / id column / text column; GUARDED_BY(mutex_)
  int64_t kept_rows_ = 0;              // GUARDED_BY(mutex_)
};

}  // namespace lakehouse::vector
