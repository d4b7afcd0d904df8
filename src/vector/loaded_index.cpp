#include "vector/loaded_index.h"

#include <algorithm>

namespace lakehouse::vector {

namespace {

// The main backend with the appended vectors beside it, searched exactly:
// what a generation serves between an append and the merge that adds them
// to the backend. Read-only, like every published backend.
class SegmentedBackend final : public VectorBackend {
 public:
  SegmentedBackend(std::shared_ptr<const VectorBackend> main, std::vector<std::shared_ptr<const VectorStore>> delta)
      : main_(std::move(main)), delta_(std::move(delta)) {}

  BackendKind kind() const override { return main_->kind(); }
  Status Add(const float*, std::span<const int64_t>, int, const std::function<void(size_t)>&) override {
    return Internal("a served generation is not changed in place");
  }
  Status Remove(std::span<const int64_t>) override { return Internal("a served generation is not changed in place"); }

  Result<std::vector<Hit>> Search(const float* query, const SearchKnobs& knobs,
                                  const LabelFilter* allowed) const override {
    LH_ASSIGN_OR_RETURN(auto hits, main_->Search(query, knobs, allowed));
    TopKHeap best(knobs.k);
    for (const Hit& h : hits) best.Push(h.label, h.score);
    for (const auto& segment : delta_) {
      for (const Hit& h : segment->TopK(query, knobs.k, allowed)) best.Push(h.label, h.score);
    }
    return best.Take();
  }

  std::vector<Hit> Score(const float* query, std::span<const int64_t> labels, size_t k) const override {
    TopKHeap best(k);
    for (const Hit& h : main_->Score(query, labels, k)) best.Push(h.label, h.score);
    for (const auto& segment : delta_) {
      for (const Hit& h : segment->Score(query, labels, k)) best.Push(h.label, h.score);
    }
    return best.Take();
  }

  bool CopyVector(int64_t label, float* out) const override {
    for (const auto& segment : delta_) {
      if (const float* row = segment->Find(label)) {
        std::copy(row, row + segment->dimension(), out);
        return true;
      }
    }
    return main_->CopyVector(label, out);
  }

  bool HasFile() const override { return main_->HasFile(); }
  Status Save(const std::filesystem::path&) const override {
    return Internal("the delta is saved as embeddings, not in the backend's file");
  }
  size_t size() const override {
    size_t n = main_->size();
    for (const auto& segment : delta_) n += segment->size();
    return n;
  }
  size_t MemoryBytes() const override {
    size_t n = main_->MemoryBytes();
    for (const auto& segment : delta_) n += segment->MemoryBytes();
    return n;
  }

 private:
  std::shared_ptr<const VectorBackend> main_;
  std::vector<std::shared_ptr<const VectorStore>> delta_;
};

}  // namespace

ChunkTable ChunkTable::After(const ChunkTable& base) {
  ChunkTable next;
  next.sealed_ = base.sealed_;
  if (!base.open_->chunks.empty()) next.sealed_.push_back(base.open_);
  next.size_ = base.size_;
  next.docs_ = base.docs_;
  return next;
}

void ChunkTable::Add(int64_t label, ChunkRow row) {
  auto& labels = open_->labels_by_doc[row.doc_id];
  if (labels.empty()) ++docs_;
  labels.push_back(label);
  if (open_->chunks.emplace(label, std::move(row)).second) ++size_;
}

const ChunkRow* ChunkTable::Find(int64_t label) const {
  if (auto it = open_->chunks.find(label); it != open_->chunks.end()) return &it->second;
  for (const auto& segment : sealed_) {
    if (auto it = segment->chunks.find(label); it != segment->chunks.end()) return &it->second;
  }
  return nullptr;
}

const std::vector<int64_t>* ChunkTable::LabelsOf(const std::string& doc_id) const {
  if (auto it = open_->labels_by_doc.find(doc_id); it != open_->labels_by_doc.end()) return &it->second;
  for (const auto& segment : sealed_) {
    if (auto it = segment->labels_by_doc.find(doc_id); it != segment->labels_by_doc.end()) return &it->second;
  }
  return nullptr;
}

void ChunkTable::ForEach(const std::function<void(int64_t, const ChunkRow&)>& fn) const {
  for (const auto& segment : sealed_) {
    for (const auto& [label, row] : segment->chunks) fn(label, row);
  }
  for (const auto& [label, row] : open_->chunks) fn(label, row);
}

void ChunkTable::ForEachDoc(const std::function<void(const std::string&, const std::vector<int64_t>&)>& fn) const {
  for (const auto& segment : sealed_) {
    for (const auto& [doc, labels] : segment->labels_by_doc) fn(doc, labels);
  }
  for (const auto& [doc, labels] : open_->labels_by_doc) fn(doc, labels);
}

std::set<std::string> GenerationFiles(const IndexGeneration& g) {
  std::set<std::string> files(g.embedding_files.begin(), g.embedding_files.end());
  if (!g.backend_file.empty()) files.insert(g.backend_file);
  files.insert(g.text_file);
  files.insert(g.text_file + "-journal");
  return files;
}

size_t LoadedIndex::DeltaSize() const {
  size_t n = 0;
  for (const auto& segment : delta) n += segment->size();
  return n;
}

void LoadedIndex::Assemble() {
  if (delta.empty()) {
    backend = main;
  } else {
    backend = std::make_shared<SegmentedBackend>(main, delta);
  }
}

}  // namespace lakehouse::vector
