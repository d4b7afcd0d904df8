#include "vector/candidate.h"

#include <algorithm>
#include <chrono>

#include "vector/vector_store.h"

namespace lakehouse::vector {

VectorRows LiveVectors(const LoadedIndex& served) {
  VectorRows out;
  out.dim = served.generation.dimension;
  std::vector<int64_t> labels;
  labels.reserve(served.chunks.size());
  served.chunks.ForEach([&](int64_t label, const ChunkRow&) { labels.push_back(label); });
  std::sort(labels.begin(), labels.end());
  const auto dim = static_cast<size_t>(out.dim);
  out.rows.resize(labels.size() * dim);
  out.labels.reserve(labels.size());
  for (int64_t label : labels) {
    if (served.backend->CopyVector(label, out.rows.data() + out.labels.size() * dim)) out.labels.push_back(label);
  }
  out.rows.resize(out.labels.size() * dim);
  return out;
}

Result<BuiltBackend> BuildBackend(const VectorRows& vectors, const BackendSpec& requested, int threads,
                                  const std::function<void()>& yield) {
  LH_RETURN_IF_ERROR(ValidateBackendOptions(requested));
  if (vectors.labels.empty()) return InvalidArgument("the index has no vectors to build a candidate from");
  auto started = std::chrono::steady_clock::now();
  BuiltBackend out;
  out.spec = ResolveBackend(requested, vectors.labels.size(), vectors.dim);
  const BackendType& type = TypeOf(out.spec.kind);
  std::shared_ptr<VectorStore> store;
  if (type.needs_vectors) {
    store = std::make_shared<VectorStore>(vectors.dim);
    store->Reserve(vectors.labels.size());
    store->Add(vectors.rows.data(), vectors.labels);
  }
  LH_ASSIGN_OR_RETURN(auto backend, type.create(vectors.dim, vectors.labels.size(), out.spec.options, store));
  backend->SetYield(yield);
  LH_RETURN_IF_ERROR(backend->Add(vectors.rows.data(), vectors.labels, threads, {}));
  backend->SetYield({});
  out.memory_bytes = backend->MemoryBytes() + (store ? store->MemoryBytes() : 0);
  out.backend = std::move(backend);
  out.vectors = std::move(store);
  out.build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return out;
}

std::shared_ptr<const LoadedIndex> WithBackend(const LoadedIndex& served, const BuiltBackend& built) {
  auto index = std::make_shared<LoadedIndex>(served);
  index->main = built.backend;
  index->vectors = built.vectors;
  index->delta.clear();
  index->generation.backend = built.spec;
  index->generation.delta_parts = 0;
  // Not the served generation's number: searches take the candidate's own
  // query knobs, not the served backend's stored defaults.
  index->generation.number = -1;
  index->Assemble();
  return index;
}

Result<Candidate> BuildCandidate(const LoadedIndex& served, const BackendSpec& requested, int threads) {
  LH_RETURN_IF_ERROR(ValidateBackendOptions(requested));
  LH_ASSIGN_OR_RETURN(auto built, BuildBackend(LiveVectors(served), requested, threads));
  return Candidate{WithBackend(served, built), built.spec, built.build_ms};
}

}  // namespace lakehouse::vector
