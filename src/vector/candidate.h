// A candidate configuration of an index: its served generation's vectors
// indexed in memory by another backend (or other settings), nothing
// re-embedded and nothing written, so an eval or an autotune can measure
// it beside the served one before anyone changes the index (PATCH backend
// and promotion build it for real). Shares the served generation's chunks
// and full-text index.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "vector/loaded_index.h"

namespace lakehouse::vector {

// The live vectors of a generation as its backend (main and delta) holds
// them, in label order: read once, then built into any number of candidates.
struct VectorRows {
  int dim = 0;
  std::vector<float> rows;  // labels.size() x dim
  std::vector<int64_t> labels;
};
VectorRows LiveVectors(const LoadedIndex& served);

struct BuiltBackend {
  std::shared_ptr<const VectorBackend> backend;
  std::shared_ptr<const VectorStore> vectors;  // when the backend needs them
  BackendSpec spec;  // as built: kind resolved, every option filled in
  double build_ms = 0;
  uint64_t memory_bytes = 0;  // backend and its vectors
};
// InvalidArgument for options the backend does not take, or that the
// vectors cannot train (ivf_pq under 256 chunks).
// `yield`: called between inserts, where the build may wait (VectorBackend::SetYield).
Result<BuiltBackend> BuildBackend(const VectorRows& vectors, const BackendSpec& requested, int threads,
                                  const std::function<void()>& yield = {});

// `served` searched through `built` instead of its own backend.
std::shared_ptr<const LoadedIndex> WithBackend(const LoadedIndex& served, const BuiltBackend& built);

struct Candidate {
  std::shared_ptr<const LoadedIndex> index;
  BackendSpec spec;  // as built: kind resolved, every option filled in
  double build_ms = 0;
};
Result<Candidate> BuildCandidate(const LoadedIndex& served, const BackendSpec& requested, int threads);

}  // namespace lakehouse::vector
