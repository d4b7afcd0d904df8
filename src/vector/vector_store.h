// The raw vectors of one index generation by label, backend-neutral: what
// exact search (the flat backend), exact re-ranking (ivf_pq) and ground
// truth for evaluation read. Rows are dense (a removal moves the last row
// into the hole), so a scan reads one contiguous block.
//
// Filled by whoever builds the generation, then shared read-only: searches
// on it run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "vector/backend.h"

namespace lakehouse::vector {

class VectorStore {
 public:
  explicit VectorStore(int dimension) : dimension_(dimension) {}

  void Reserve(size_t rows);
  // Appends rows (n x dimension); a label already present is overwritten.
  void Add(const float* rows, std::span<const int64_t> labels);
  void Remove(std::span<const int64_t> labels);  // unknown labels are skipped

  // The row of `label`, or nullptr.
  const float* Find(int64_t label) const;
  // The k best rows for `query` (n x dimension dot products), only labels
  // `allowed` accepts when given; on up to `threads` threads for big stores.
  std::vector<Hit> TopK(const float* query, size_t k, const LabelFilter* allowed = nullptr, int threads = 1) const;
  // Exact scores of `labels` (unknown ones skipped), best k first.
  std::vector<Hit> Score(const float* query, std::span<const int64_t> labels, size_t k) const;

  int dimension() const { return dimension_; }
  size_t size() const { return labels_.size(); }
  const float* data() const { return data_.data(); }
  const std::vector<int64_t>& labels() const { return labels_; }
  size_t MemoryBytes() const;

 private:
  int dimension_;
  std::vector<float> data_;  // size() x dimension_
  std::vector<int64_t> labels_;
  std::unordered_map<int64_t, size_t> row_of_;
};

// The plain inner product of two rows.
float Dot(const float* a, const float* b, int dimension);

// Keeps the best `k` of the hits pushed, then hands them out best first.
class TopKHeap {
 public:
  explicit TopKHeap(size_t k) : k_(k) {}
  void Push(int64_t label, float score);
  float Worst() const;  // the score a hit must beat once full (-inf before)
  std::vector<Hit> Take();  // best first

 private:
  size_t k_;
  std::vector<Hit> heap_;  // min-heap on score
};

}  // namespace lakehouse::vector
