// The baseline of vector_bench: hnswlib used the way its README does, in a
// translation unit of its own. hnswlib 0.6.2 defines non-inline globals in
// its headers, so this copy lives in a namespace of its own and cannot clash
// with the one inside lh_vector (same header, same -march=native kernels).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <list>
#include <mutex>
#include <queue>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>
#include <immintrin.h>
#include <x86intrin.h>

namespace vbench_plain {
#include <hnswlib/hnswlib.h>
}  // namespace vbench_plain

#include "vector_bench_util.h"

namespace vbench {

struct PlainHnsw::Impl {
  explicit Impl(int dim) : space(static_cast<size_t>(dim)) {}
  vbench_plain::hnswlib::InnerProductSpace space;
  std::unique_ptr<vbench_plain::hnswlib::HierarchicalNSW<float>> graph;
  int dim = 0;
};

PlainHnsw::PlainHnsw(int dim, size_t capacity, int m, int ef_construction) : impl_(std::make_unique<Impl>(dim)) {
  impl_->dim = dim;
  impl_->graph = std::make_unique<vbench_plain::hnswlib::HierarchicalNSW<float>>(&impl_->space, capacity, m, ef_construction);
}

PlainHnsw::~PlainHnsw() = default;

double PlainHnsw::Insert(const float* vectors, size_t n, int threads) {
  auto t0 = Clock::now();
  ParallelFor(n, threads, [&](size_t i) {
    impl_->graph->addPoint(vectors + i * static_cast<size_t>(impl_->dim), static_cast<size_t>(i));
  });
  return Ms(t0);
}

std::vector<int64_t> PlainHnsw::Search(const float* query, size_t k, size_t ef) {
  if (ef > 0) impl_->graph->setEf(std::max(ef, k));
  auto found = impl_->graph->searchKnn(query, k);
  std::vector<int64_t> ids;
  for (; !found.empty(); found.pop()) ids.push_back(static_cast<int64_t>(found.top().second));
  return ids;
}

void PlainHnsw::SetEf(size_t ef) { impl_->graph->setEf(ef); }

void PlainHnsw::Save(const std::string& path) {
  impl_->graph->saveIndex(path);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace vbench
