#include "vector/candidate.h"

#include <algorithm>
#include <chrono>

#include "vector/vector_store.h"

namespace lakehouse::vector {

Result<Candidate> BuildCandidate(const LoadedIndex& served, const BackendSpec& requested, int threads) {
  LH_RETURN_IF_ERROR(ValidateBackendOptions(requested));
  auto started = std::chrono::steady_clock::now();
  std::vector<int64_t> labels;
  labels.reserve(served.chunks.size());
  served.chunks.ForEach([&](int64_t label, const ChunkRow&) { labels.push_back(label); });
  std::sort(labels.begin(), labels.end());
  const int dim = served.generation.dimension;
  // The live vectors as the served backend (main and delta) holds them.
  std::vector<float> rows(labels.size() * static_cast<size_t>(dim));
  std::vector<int64_t> kept;
  kept.reserve(labels.size());
  for (int64_t label : labels) {
    if (served.backend->CopyVector(label, rows.data() + kept.size() * static_cast<size_t>(dim))) kept.push_back(label);
  }
  rows.resize(kept.size() * static_cast<size_t>(dim));
  if (kept.empty()) return InvalidArgument("the index has no vectors to build a candidate from");
  Candidate out;
  out.spec = ResolveBackend(requested, kept.size(), dim);
  const BackendType& type = TypeOf(out.spec.kind);
  std::shared_ptr<VectorStore> store;
  if (type.needs_vectors) {
    store = std::make_shared<VectorStore>(dim);
    store->Reserve(kept.size());
    store->Add(rows.data(), kept);
  }
  LH_ASSIGN_OR_RETURN(auto backend, type.create(dim, kept.size(), out.spec.options, store));
  LH_RETURN_IF_ERROR(backend->Add(rows.data(), kept, threads, {}));
  auto index = std::make_shared<LoadedIndex>(served);
  std::shared_ptr<const VectorBackend> main(std::move(backend));
  index->main = main;
  index->vectors = store;
  index->delta.clear();
  index->generation.backend = out.spec;
  index->generation.delta_parts = 0;
  // Not the served generation's number: searches take the candidate's own
  // query knobs, not the served backend's stored defaults.
  index->generation.number = -1;
  index->Assemble();
  out.index = std::move(index);
  out.build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace lakehouse::vector
