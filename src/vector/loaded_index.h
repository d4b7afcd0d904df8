// One generation of an index, in memory and ready to search: the HNSW
// graph, the full-text index and, per live label, the chunk it stands for.
// Immutable once published; a refresh builds the next one beside it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vector/hnsw_graph.h"
#include "vector/index_manifest.h"
#include "vector/text_index.h"

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
  std::unique_ptr<HnswGraph> graph;
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
std::string HnswKey(const std::string& index, int generation);
std::string TextIndexKey(const std::string& index, int generation);

}  // namespace lakehouse::vector
