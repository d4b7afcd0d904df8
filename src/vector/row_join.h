// The dataset rows of search hits. A DuckDB query per search costs about
// 1.5 ms even for ten ids; the rows of a small dataset are kept by id in
// memory instead (loaded once per version of the dataset), so joining hits
// is a lookup. Larger datasets are still joined with a query.
//
// An append loads only the new files' rows, as one more segment beside the
// kept ones (the dataset's first row of an id wins, as in the index); a
// change of columns, a rewrite or too many segments loads it whole again.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/manifest.h"
#include "engine/query_engine.h"
#include "storage/bucket_registry.h"
#include "vector/index_manifest.h"
#include "vector/searcher.h"

namespace lakehouse::vector {

class RowJoiner {
 public:
  // Datasets of up to `max_rows` rows (current version) are kept, up to
  // `total_rows` in all; past that the cache starts again.
  RowJoiner(engine::QueryEngine& query, storage::BucketRegistry& buckets, int64_t max_rows = 200000,
            int64_t total_rows = 500000)
      : query_(query), buckets_(buckets), max_rows_(max_rows), total_rows_(total_rows) {}
  // Segments past which an append reloads the dataset whole.
  static constexpr size_t kMaxSegments = 16;

  // Fills out.row_columns and each hit's row, as stored (redaction is the
  // caller's). The indexed text column is left out: the hit carries the chunk.
  Status Join(const Result<catalog::Manifest>& dataset, const IndexManifest& index, SearchResponse& out);

 private:
  using Segment = std::unordered_map<std::string, std::vector<engine::Cell>>;
  struct Rows {
    std::vector<engine::ResultColumn> columns;
    std::vector<std::shared_ptr<const Segment>> segments;  // oldest first: the first row of an id wins
    size_t count = 0;
    const std::vector<engine::Cell>* Find(const std::string& id) const;
  };
  // The rows of `sql` as a segment, without ids `before` already has; null
  // when there are more than `max_rows`.
  Result<std::shared_ptr<Segment>> Load(const std::string& sql, const Rows* before, const IndexManifest& index,
                                        std::vector<engine::ResultColumn>* columns, size_t max_rows);
  // The rows of the files `added` to the dataset since `kept`, or null when
  // they cannot be read as a segment of it.
  Result<std::shared_ptr<const Rows>> Appended(const catalog::Manifest& dataset, const IndexManifest& index,
                                               const Rows& kept, const std::vector<std::string>& added);
  std::string SelectList(const Result<catalog::Manifest>& dataset, const IndexManifest& index) const;
  // The kept rows of the dataset's current version, or null when it is too big to keep.
  Result<std::shared_ptr<const Rows>> Kept(const catalog::Manifest& dataset, const IndexManifest& index);

  engine::QueryEngine& query_;
  storage::BucketRegistry& buckets_;
  const int64_t max_rows_, total_rows_;
  std::mutex mutex_;  // also held while a dataset loads: one load at a time
  struct Entry {
    std::string signature;  // the dataset's files when loaded
    std::vector<std::string> files;
    std::shared_ptr<const Rows> rows;
  };
  std::map<std::string, Entry> kept_;  // dataset / id column / text column; GUARDED_BY(mutex_)
  int64_t kept_rows_ = 0;              // GUARDED_BY(mutex_)
};

}  // namespace lakehouse::vector
