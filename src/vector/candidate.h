// A candidate configuration of an index: its served generation's vectors
// indexed in memory by another backend (or other settings), nothing
// re-embedded and nothing written, so an eval can measure it beside the
// served one before anyone changes the index (PATCH backend builds it for
// real). Shares the served generation's chunks and full-text index.
#pragma once

#include <memory>

#include "vector/loaded_index.h"

namespace lakehouse::vector {

struct Candidate {
  std::shared_ptr<const LoadedIndex> index;
  BackendSpec spec;  // as built: kind resolved, every option filled in
  double build_ms = 0;
};

// InvalidArgument for options the backend does not take, or that the
// vectors cannot train (ivf_pq under 256 chunks).
Result<Candidate> BuildCandidate(const LoadedIndex& served, const BackendSpec& requested, int threads);

}  // namespace lakehouse::vector
