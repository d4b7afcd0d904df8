// Eval sets made from an index's own chunks, for indexes nobody has labelled:
// each query is a window of a sampled chunk's words, perturbed (words dropped,
// two swapped) so that it is not a verbatim substring, and its relevant
// document is the chunk's. What such a set measures is how well the index
// finds a passage from a loose recollection of it; recall against exact
// search comes with every eval run.
#pragma once

#include <cstdint>
#include <string>

#include "vector/eval/eval_set.h"
#include "vector/loaded_index.h"

namespace lakehouse::vector::eval {

inline constexpr size_t kMaxGeneratedQueries = 10000;

struct GenerateOptions {
  size_t queries = 100;  // at most kMaxGeneratedQueries, and at most one per chunk
  uint64_t seed = 1;     // the same seed on the same generation gives the same set
};

// PII spans in the sampled text appear as their kind: sets are stored and
// shown to whoever may read the index's eval sets.
Result<EvalSet> GenerateEvalSet(const LoadedIndex& index, const std::string& name, const GenerateOptions& options);

}  // namespace lakehouse::vector::eval
