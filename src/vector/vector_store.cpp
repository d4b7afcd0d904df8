#include "vector/vector_store.h"

#include <algorithm>
#include <limits>
#include <thread>

namespace lakehouse::vector {

namespace {

bool Worse(const Hit& a, const Hit& b) { return a.score > b.score; }  // min-heap order

// Below this many rows a second thread costs more than it saves.
constexpr size_t kRowsPerThread = 16384;

}  // namespace

float Dot(const float* a, const float* b, int dimension) {
  float sum = 0;
  // Reassociating the sum lets the compiler use every SIMD lane.
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < dimension; ++i) sum += a[i] * b[i];
  return sum;
}

void TopKHeap::Push(int64_t label, float score) {
  if (k_ == 0) return;
  if (heap_.size() < k_) {
    heap_.push_back({label, score});
    std::push_heap(heap_.begin(), heap_.end(), Worse);
  } else if (score > heap_.front().score) {
    std::pop_heap(heap_.begin(), heap_.end(), Worse);
    heap_.back() = {label, score};
    std::push_heap(heap_.begin(), heap_.end(), Worse);
  }
}

float TopKHeap::Worst() const {
  return heap_.size() < k_ ? -std::numeric_limits<float>::infinity() : heap_.front().score;
}

std::vector<Hit> TopKHeap::Take() {
  std::sort_heap(heap_.begin(), heap_.end(), Worse);
  return std::move(heap_);
}

void VectorStore::Reserve(size_t rows) {
  data_.reserve(rows * static_cast<size_t>(dimension_));
  labels_.reserve(rows);
  row_of_.reserve(rows);
}

void VectorStore::Add(const float* rows, std::span<const int64_t> labels) {
  const size_t d = static_cast<size_t>(dimension_);
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* row = rows + i * d;
    if (auto it = row_of_.find(labels[i]); it != row_of_.end()) {
      std::copy(row, row + d, data_.begin() + static_cast<std::ptrdiff_t>(it->second * d));
      continue;
    }
    row_of_.emplace(labels[i], labels_.size());
    labels_.push_back(labels[i]);
    data_.insert(data_.end(), row, row + d);
  }
}

void VectorStore::Remove(std::span<const int64_t> labels) {
  const size_t d = static_cast<size_t>(dimension_);
  for (int64_t label : labels) {
    auto it = row_of_.find(label);
    if (it == row_of_.end()) continue;
    size_t row = it->second, last = labels_.size() - 1;
    row_of_.erase(it);
    if (row != last) {
      std::copy(data_.begin() + static_cast<std::ptrdiff_t>(last * d),
                data_.begin() + static_cast<std::ptrdiff_t>((last + 1) * d),
                data_.begin() + static_cast<std::ptrdiff_t>(row * d));
      labels_[row] = labels_[last];
      row_of_[labels_[row]] = row;
    }
    labels_.pop_back();
    data_.resize(last * d);
  }
}

const float* VectorStore::Find(int64_t label) const {
  auto it = row_of_.find(label);
  return it == row_of_.end() ? nullptr : data_.data() + it->second * static_cast<size_t>(dimension_);
}

std::vector<Hit> VectorStore::TopK(const float* query, size_t k, const LabelFilter* allowed, int threads) const {
  const size_t n = labels_.size(), d = static_cast<size_t>(dimension_);
  auto scan = [&](size_t begin, size_t end) {
    TopKHeap heap(k);
    for (size_t i = begin; i < end; ++i) {
      if (allowed && !(*allowed)(labels_[i])) continue;
      float score = Dot(query, data_.data() + i * d, dimension_);
      if (score > heap.Worst()) heap.Push(labels_[i], score);
    }
    return heap.Take();
  };
  size_t parts = std::clamp<size_t>(n / kRowsPerThread, 1, static_cast<size_t>(std::max(threads, 1)));
  if (parts == 1) return scan(0, n);
  std::vector<std::vector<Hit>> partial(parts);
  std::vector<std::thread> workers;
  for (size_t p = 1; p < parts; ++p) {
    workers.emplace_back([&, p] { partial[p] = scan(n * p / parts, n * (p + 1) / parts); });
  }
  partial[0] = scan(0, n / parts);
  for (auto& w : workers) w.join();
  TopKHeap merged(k);
  for (const auto& hits : partial) {
    for (const auto& h : hits) merged.Push(h.label, h.score);
  }
  return merged.Take();
}

std::vector<Hit> VectorStore::Score(const float* query, std::span<const int64_t> labels, size_t k) const {
  TopKHeap heap(k);
  for (int64_t label : labels) {
    if (const float* row = Find(label)) heap.Push(label, Dot(query, row, dimension_));
  }
  return heap.Take();
}

size_t VectorStore::MemoryBytes() const {
  return data_.capacity() * sizeof(float) + labels_.capacity() * sizeof(int64_t) +
         row_of_.size() * (sizeof(int64_t) + sizeof(size_t) + 2 * sizeof(void*));
}

}  // namespace lakehouse::vector
