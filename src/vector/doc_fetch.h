// One document of an index by its id: its chunks (text, offsets, and the
// vectors on request) through the loaded generation's id -> labels map,
// never a scan. PII as in search: the text of a PII column is redacted
// unless the caller asked for PII and may see it.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "vector/index_registry.h"

namespace lakehouse::vector {

struct DocRequest {
  bool include_vectors = false;
  bool include_pii = false;  // asked for
  bool may_see_pii = false;  // decided at the edge (the PII access token)
};

struct DocChunk {
  int64_t chunk_index = 0;
  int64_t begin = 0, end = 0;  // byte offsets in the document's text
  std::string text;
  std::vector<float> vector;  // empty unless asked for
};

struct DocResponse {
  std::string index;
  std::string doc_id;
  std::string model;
  int generation = 0;
  std::vector<DocChunk> chunks;  // in chunk order
  std::vector<std::string> redacted;  // "text" when the chunk text was withheld
};

// NotFound when the index has no such document (a document without text
// has no chunks and is not in the index).
Result<DocResponse> FetchDoc(IndexRegistry& indexes, catalog::Catalog& catalog, const std::string& index,
                             const std::string& doc_id, const DocRequest& request);

}  // namespace lakehouse::vector
