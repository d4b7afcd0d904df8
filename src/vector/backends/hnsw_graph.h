// An HNSW graph over L2-normalised vectors (inner product = cosine), keyed
// by int64 labels. Wraps hnswlib so nothing else includes it.
//
// Building and adding are thread-safe for distinct labels (hnswlib locks per
// node); Search and Exact may run concurrently with each other, lock-free,
// each with its own ef, but not with Add or MarkDeleted: an index being refreshed is a copy (Load), and the
// served one is swapped, never mutated.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

#include <span>

#include "common/status.h"
#include "vector/backend.h"

namespace lakehouse::vector {

struct HnswParams {
  int m = 16;
  int ef_construction = 200;
  int ef_search = 64;
};

class HnswGraph {
 public:
  static Result<std::unique_ptr<HnswGraph>> Create(int dimension, size_t capacity, const HnswParams& params);
  // Reads a graph saved by Save; `dimension` must match what was saved.
  static Result<std::unique_ptr<HnswGraph>> Load(const std::filesystem::path& path, int dimension,
                                                 size_t extra_capacity = 0);
  ~HnswGraph();

  // Adds rows of `vectors` (n x dimension) with their labels on `threads`
  // threads; progress gets the count done so far (from the calling thread).
  // `yield`, when set, is called by each worker every few hundred inserts.
  Status Add(const float* vectors, std::span<const int64_t> labels, int threads,
             const std::function<void(size_t)>& progress = {}, const std::function<void()>& yield = {});
  Status MarkDeleted(int64_t label);  // NotFound for an unknown label

  // Atomic: temp file, fsync, rename.
  Status Save(const std::filesystem::path& path) const;

  std::vector<Hit> Search(const float* query, size_t k, size_t ef) const;
  // Exact scores of the query against the given labels (unknown or deleted
  // ones skipped), best k first: the filtered search for small id sets.
  std::vector<Hit> Exact(const float* query, std::span<const int64_t> labels, size_t k) const;
  // The vector stored for `label` (dimension floats); false when unknown or deleted.
  bool Vector(int64_t label, float* out) const;

  int dimension() const { return dimension_; }
  size_t size() const;      // live elements
  size_t deleted() const;
  size_t capacity() const;

 private:
  HnswGraph() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int dimension_ = 0;
};

}  // namespace lakehouse::vector
