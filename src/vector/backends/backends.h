// The registered backends (vector/backend.h TypeOf is the registry). Each
// lives in its own file, the only one that includes its library.
#pragma once

#include <algorithm>
#include <memory>

#include "vector/backend.h"
#include "vector/vector_store.h"

namespace lakehouse::vector {

// A backend that keeps the raw vectors (flat, ivf_pq): exact scores and
// stored vectors come from them.
class StoreBackedBackend : public VectorBackend {
 public:
  explicit StoreBackedBackend(std::shared_ptr<const VectorStore> vectors) : vectors_(std::move(vectors)) {}
  std::vector<Hit> Score(const float* query, std::span<const int64_t> labels, size_t k) const override {
    return vectors_->Score(query, labels, k);
  }
  bool CopyVector(int64_t label, float* out) const override {
    const float* row = vectors_->Find(label);
    if (row) std::copy(row, row + vectors_->dimension(), out);
    return row != nullptr;
  }
 protected:
  std::shared_ptr<const VectorStore> vectors_;
};

const BackendType& FlatBackendType();   // flat_backend.cpp: exact scans of the vector store
const BackendType& HnswBackendType();   // hnsw_backend.cpp: hnswlib graphs
const BackendType& IvfPqBackendType();  // ivfpq_backend.cpp: FAISS IVF + PQ, re-ranked exactly

}  // namespace lakehouse::vector
