// What autotune_bench and agent_bench measure on: backend_bench's corpus,
// hash-embedded, and held-out documents of it as queries (none of them in
// the vectors, so no query finds itself).
#pragma once

#include <memory>

#include "vector/autotune/scorers.h"
#include "vector_bench_util.h"

namespace vbench {

struct TuneData {
  std::shared_ptr<lakehouse::vector::VectorRows> vectors;
  lakehouse::vector::autotune::QueryRows queries;
};

inline TuneData HeldOutCorpus(size_t docs, size_t queries, int dim, int threads) {
  Corpus corpus;
  std::vector<std::string> texts(docs), qtexts(queries);
  for (size_t i = 0; i < docs; ++i) texts[i] = corpus.Text(i);
  for (size_t q = 0; q < queries; ++q) qtexts[q] = corpus.Text(docs + 1000 + q);
  auto embedder = lakehouse::ai::MakeEmbedder({"hash", "", dim});
  if (!embedder.ok()) std::abort();
  TuneData out;
  out.vectors = std::make_shared<lakehouse::vector::VectorRows>();
  out.vectors->dim = dim;
  out.vectors->rows = EmbedAll(**embedder, texts, threads);
  for (size_t i = 0; i < docs; ++i) out.vectors->labels.push_back(static_cast<int64_t>(i));
  out.queries.rows = EmbedAll(**embedder, qtexts, threads);
  out.queries.self.assign(queries, -1);
  return out;
}

}  // namespace vbench
