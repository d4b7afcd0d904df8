// One generation of an index, in memory and ready to search: its vector
// backend (and the raw vectors when the backend needs them), the full-text
// index and, per live label, the chunk it stands for.
// Immutable once published; a refresh builds the next one beside it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vector/backend.h"
#include "vector/index_manifest.h"
#include "vector/text_index.h"
#include "vector/vector_store.h"

namespace lakehouse::vector {

struct ChunkRow {
  std::string doc_id;
  int64_t chunk_index = 0;
  int64_t begin = 0;
  int64_t end = 0;
  std::string text;
  std::string doc_hash;  // md5 of the document's whole text, for delta refresh
};

struct LoadedIndex {
  IndexGeneration generation;
  std::unique_ptr<VectorBackend> backend;
  std::shared_ptr<const VectorStore> vectors;  // null when the backend holds its own (hnsw)
  std::unique_ptr<TextIndex> text;
  std::unordered_map<int64_t, ChunkRow> chunks;  // live labels only
  std::unordered_map<std::string, std::vector<int64_t>> labels_by_doc;

  void AddChunk(int64_t label, ChunkRow row) {
    labels_by_doc[row.doc_id].push_back(label);
    chunks.emplace(label, std::move(row));
  }
};

// Object keys of an index's files inside its bucket.
std::string IndexDirKey(const std::string& index);
std::string EmbeddingPartKey(const std::string& index, int part);
// The backend's own file of a generation (hnsw-N.bin, ivf_pq-N.faiss).
std::string BackendKey(const std::string& index, BackendKind kind, int generation);
std::string TextIndexKey(const std::string& index, int generation);

}  // namespace lakehouse::vector
