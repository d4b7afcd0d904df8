#include "vector/backends/hnsw_graph.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <fstream>
#include <atomic>
#include <chrono>
#include <mutex>
#include <queue>
#include <thread>

#include "common/files.h"
#include "vector/vector_store.h"

namespace lakehouse::vector {

struct HnswGraph::Impl {
  explicit Impl(int dimension) : space(static_cast<size_t>(dimension)) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
};

namespace {

using Graph = hnswlib::HierarchicalNSW<float>;
using hnswlib::tableint;

// hnswlib's searchKnn with ef as an argument: 0.6.2 reads ef from the graph,
// so concurrent searches with different ef would race on it (or need a lock).
// Greedy descent through the upper layers, then the beam search of layer 0.
std::vector<std::pair<float, tableint>> SearchWithEf(const Graph& g, const void* query, size_t k, size_t ef) {
  tableint current = g.enterpoint_node_;
  float best = g.fstdistfunc_(query, g.getDataByInternalId(current), g.dist_func_param_);
  for (int level = g.maxlevel_; level > 0; --level) {
    bool moved = true;
    while (moved) {
      moved = false;
      auto* links = reinterpret_cast<unsigned int*>(g.get_linklist(current, level));
      int count = g.getListCount(links);
      auto* neighbours = reinterpret_cast<tableint*>(links + 1);
      for (int i = 0; i < count; ++i) {
        float d = g.fstdistfunc_(query, g.getDataByInternalId(neighbours[i]), g.dist_func_param_);
        if (d < best) {
          best = d;
          current = neighbours[i];
          moved = true;
        }
      }
    }
  }
  auto top = g.num_deleted_ ? g.searchBaseLayerST<true, false>(current, query, std::max(ef, k))
                            : g.searchBaseLayerST<false, false>(current, query, std::max(ef, k));
  while (top.size() > k) top.pop();
  std::vector<std::pair<float, tableint>> out(top.size());
  for (size_t i = top.size(); i-- > 0;) {
    out[i] = top.top();
    top.pop();
  }
  return out;
}

// hnswlib 0.6.2 trusts the file: a damaged header or link makes it read or
// write out of bounds (a segfault, not an exception). Everything it will
// follow is checked here first, in one streaming pass: the header against
// the dimension, the file size, and every link list against the counts.
Status ValidateGraphFile(const std::filesystem::path& path, int dimension) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Internal("cannot open HNSW graph " + path.filename().string());
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  struct {
    size_t offset_level0, max_elements, count, size_per_element, label_offset, offset_data;
    int max_level;
    unsigned int enterpoint;
    size_t max_m, max_m0, m;
    double mult;
    size_t ef_construction;
  } h{};
  auto read = [&](auto& v) { return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof(v))); };
  bool ok = read(h.offset_level0) && read(h.max_elements) && read(h.count) && read(h.size_per_element) &&
            read(h.label_offset) && read(h.offset_data) && read(h.max_level) && read(h.enterpoint) &&
            read(h.max_m) && read(h.max_m0) && read(h.m) && read(h.mult) && read(h.ef_construction);
  const std::string name = path.filename().string();
  auto damaged = [&](const std::string& why) {
    return Internal("HNSW graph " + name + " is damaged (" + why + "); rebuild the index");
  };
  if (!ok) return damaged("shorter than its header");
  const size_t links0 = h.max_m0 * sizeof(tableint) + sizeof(unsigned int);
  const size_t links = h.max_m * sizeof(tableint) + sizeof(unsigned int);
  if (h.offset_level0 != 0 || h.m < 2 || h.m > 4096 || h.max_m != h.m || h.max_m0 != 2 * h.m ||
      h.offset_data != links0 || h.label_offset != h.offset_data + static_cast<size_t>(dimension) * sizeof(float) ||
      h.size_per_element != h.label_offset + sizeof(hnswlib::labeltype) || h.count > h.max_elements ||
      h.count > (size_t{1} << 32)) {
    // A consistent header for other vectors: a file of another index.
    if (h.label_offset - h.offset_data != static_cast<size_t>(dimension) * sizeof(float) && h.m == h.max_m &&
        h.offset_data == links0 && h.size_per_element == h.label_offset + sizeof(hnswlib::labeltype) &&
        (h.label_offset - h.offset_data) % sizeof(float) == 0) {
      return Internal("HNSW graph " + name + " was built for another dimension");
    }
    return damaged("inconsistent header");
  }
  if (h.count == 0) return Status::Ok();
  if (h.max_level < 0 || h.max_level > 64 || h.enterpoint >= h.count) return damaged("bad entry point");
  const uint64_t header = static_cast<uint64_t>(in.tellg());
  if (file_size < header + h.count * h.size_per_element) return damaged("cut short");
  // Level 0: a count (low 16 bits) and neighbours in every element's block.
  std::vector<char> block(h.size_per_element);
  for (size_t i = 0; i < h.count; ++i) {
    if (!in.read(block.data(), static_cast<std::streamsize>(block.size()))) return damaged("cut short");
    unsigned short n = *reinterpret_cast<const unsigned short*>(block.data());
    if (n > h.max_m0) return damaged("a link list longer than its capacity");
    const auto* ids = reinterpret_cast<const tableint*>(block.data() + sizeof(unsigned int));
    for (unsigned short j = 0; j < n; ++j) {
      if (ids[j] >= h.count) return damaged("a link to an element that does not exist");
    }
  }
  // Upper levels: per element a byte size, then that many bytes of lists.
  std::vector<char> upper;
  int entry_level = -1;
  for (size_t i = 0; i < h.count; ++i) {
    unsigned int size = 0;
    if (!read(size)) return damaged("cut short");
    if (size % links != 0 || size / links > static_cast<size_t>(h.max_level)) return damaged("bad level lists");
    if (i == h.enterpoint) entry_level = static_cast<int>(size / links);
    upper.resize(size);
    if (size && !in.read(upper.data(), size)) return damaged("cut short");
    for (size_t level = 0; level < size / links; ++level) {
      const char* list = upper.data() + level * links;
      unsigned short n = *reinterpret_cast<const unsigned short*>(list);
      if (n > h.max_m) return damaged("a link list longer than its capacity");
      const auto* ids = reinterpret_cast<const tableint*>(list + sizeof(unsigned int));
      for (unsigned short j = 0; j < n; ++j) {
        if (ids[j] >= h.count) return damaged("a link to an element that does not exist");
      }
    }
  }
  if (entry_level != h.max_level) return damaged("the entry point is not on the top level");
  if (static_cast<uint64_t>(in.tellg()) != file_size) return damaged("trailing bytes");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<HnswGraph>> HnswGraph::Create(int dimension, size_t capacity, const HnswParams& params) {
  if (dimension <= 0) return InvalidArgument("vector dimension must be positive");
  auto g = std::unique_ptr<HnswGraph>(new HnswGraph());
  g->dimension_ = dimension;
  g->impl_ = std::make_unique<Impl>(dimension);
  try {
    g->impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &g->impl_->space, std::max<size_t>(capacity, 1), params.m, params.ef_construction);
  } catch (const std::exception& e) {
    return Internal(std::string("cannot allocate the HNSW graph: ") + e.what());
  }
  g->impl_->graph->setEf(params.ef_search);
  return g;
}

Result<std::unique_ptr<HnswGraph>> HnswGraph::Load(const std::filesystem::path& path, int dimension,
                                                   size_t extra_capacity) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Internal("HNSW graph file missing: " + path.filename().string());
  LH_RETURN_IF_ERROR(ValidateGraphFile(path, dimension));
  auto g = std::unique_ptr<HnswGraph>(new HnswGraph());
  g->dimension_ = dimension;
  g->impl_ = std::make_unique<Impl>(dimension);
  try {
    g->impl_->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&g->impl_->space, path.string());
    auto& graph = *g->impl_->graph;
    // hnswlib 0.6.2 takes the vector size from the space, not the file, and
    // leaves num_deleted_ uninitialised before counting the file's
    // tombstones into it: check the one and recount the other.
    if (graph.label_offset_ - graph.offsetData_ != g->impl_->space.get_data_size()) {
      return Internal("HNSW graph " + path.filename().string() + " was built for another dimension");
    }
    graph.num_deleted_ = 0;
    for (size_t i = 0; i < graph.cur_element_count; ++i) {
      if (graph.isMarkedDeleted(static_cast<hnswlib::tableint>(i))) ++graph.num_deleted_;
    }
    if (extra_capacity > 0) graph.resizeIndex(graph.cur_element_count + extra_capacity);
  } catch (const std::exception& e) {
    return Internal("HNSW graph " + path.filename().string() + " cannot be read (damaged or unsupported); "
                    "rebuild the index");
  }
  return g;
}

HnswGraph::~HnswGraph() = default;

size_t HnswGraph::size() const { return impl_->graph->cur_element_count - impl_->graph->num_deleted_; }
size_t HnswGraph::deleted() const { return impl_->graph->num_deleted_; }
size_t HnswGraph::capacity() const { return impl_->graph->max_elements_; }

// Inserts between two calls of a build's yield: about 10-30 ms of work at
// 768 dimensions, so a pause starts within that of a request arriving.
constexpr size_t kYieldEvery = 256;

Status HnswGraph::Add(const float* vectors, std::span<const int64_t> labels, int threads,
                      const std::function<void(size_t)>& progress, const std::function<void()>& yield) {
  auto& graph = *impl_->graph;
  if (graph.cur_element_count + labels.size() > graph.max_elements_) {
    try {
      graph.resizeIndex(graph.cur_element_count + labels.size());
    } catch (const std::exception& e) {
      return Internal(std::string("cannot grow the HNSW graph: ") + e.what());
    }
  }
  const size_t d = static_cast<size_t>(dimension_);
  const size_t n = labels.size();
  std::atomic<size_t> next{0}, done{0};
  std::mutex error_mutex;
  std::string error;
  auto work = [&] {
    while (true) {
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      if (yield && i % kYieldEvery == 0) yield();
      try {
        graph.addPoint(vectors + i * d, static_cast<hnswlib::labeltype>(labels[i]));
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (error.empty()) error = e.what();
      }
      done.fetch_add(1, std::memory_order_relaxed);
    }
  };
  threads = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  if (progress) {
    // The caller's thread only reports, while the workers insert.
    auto last = std::chrono::steady_clock::now();
    while (done.load() < n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (std::chrono::steady_clock::now() - last >= std::chrono::milliseconds(250)) {
        progress(done.load());
        last = std::chrono::steady_clock::now();
      }
    }
    progress(n);
  }
  for (auto& t : pool) t.join();
  if (!error.empty()) return Internal("HNSW insert failed: " + error);
  return Status::Ok();
}

Status HnswGraph::MarkDeleted(int64_t label) {
  try {
    impl_->graph->markDelete(static_cast<hnswlib::labeltype>(label));
  } catch (const std::exception& e) {
    return NotFound("label " + std::to_string(label) + ": " + e.what());
  }
  return Status::Ok();
}

Status HnswGraph::Save(const std::filesystem::path& path) const {
  fs::path tmp = UniqueTempPath(path.parent_path(), path.filename().string());
  TempFileGuard guard(tmp);
  try {
    impl_->graph->saveIndex(tmp.string());
  } catch (const std::exception& e) {
    return Internal("cannot write HNSW graph " + path.string() + ": " + e.what());
  }
  LH_RETURN_IF_ERROR(AtomicMoveInto(tmp, path));
  guard.Release();
  return Status::Ok();
}

std::vector<Hit> HnswGraph::Search(const float* query, size_t k, size_t ef) const {
  std::vector<Hit> hits;
  auto& graph = *impl_->graph;
  if (graph.cur_element_count == 0 || k == 0) return hits;
  for (const auto& [distance, id] : SearchWithEf(graph, query, k, ef)) {
    hits.push_back({static_cast<int64_t>(graph.getExternalLabel(id)), 1.0f - distance});
  }
  return hits;
}

bool HnswGraph::Vector(int64_t label, float* out) const {
  auto& graph = *impl_->graph;
  auto it = graph.label_lookup_.find(static_cast<hnswlib::labeltype>(label));
  if (it == graph.label_lookup_.end() || graph.isMarkedDeleted(it->second)) return false;
  const float* v = reinterpret_cast<const float*>(graph.getDataByInternalId(it->second));
  std::copy(v, v + dimension_, out);
  return true;
}

std::vector<Hit> HnswGraph::Exact(const float* query, std::span<const int64_t> labels, size_t k) const {
  auto& graph = *impl_->graph;
  std::vector<Hit> scored;
  scored.reserve(labels.size());
  for (int64_t label : labels) {
    auto it = graph.label_lookup_.find(static_cast<hnswlib::labeltype>(label));
    if (it == graph.label_lookup_.end() || graph.isMarkedDeleted(it->second)) continue;
    const float* v = reinterpret_cast<const float*>(graph.getDataByInternalId(it->second));
    scored.push_back({label, Dot(query, v, dimension_)});
  }
  size_t keep = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                    [](const Hit& a, const Hit& b) { return a.score > b.score; });
  scored.resize(keep);
  return scored;
}

}  // namespace lakehouse::vector
