#include "vector/doc_fetch.h"

#include <algorithm>

#include "vector/visibility.h"

namespace lakehouse::vector {

Result<DocResponse> FetchDoc(IndexRegistry& indexes, catalog::Catalog& catalog, const std::string& index,
                             const std::string& doc_id, const DocRequest& request) {
  if (request.include_pii && !request.may_see_pii) {
    return PermissionDenied("include_pii needs an API key with the pii grant "
                            "(lakehouse auth key create --role reader --grant pii)");
  }
  LH_ASSIGN_OR_RETURN(auto manifest, indexes.Get(index));
  LH_ASSIGN_OR_RETURN(auto loaded, indexes.Acquire(index));
  const std::vector<int64_t>* labels = loaded->chunks.LabelsOf(doc_id);
  if (!labels) {
    return NotFound("index '" + index + "' has no document '" + doc_id + "' (a document without text has no chunks)");
  }
  Visibility visibility = VisibilityOf(catalog.Get(manifest.dataset), manifest, request.include_pii);
  DocResponse out;
  out.index = index;
  out.doc_id = doc_id;
  out.model = loaded->generation.model;
  out.generation = loaded->generation.number;
  const int dim = loaded->generation.dimension;
  bool withheld_vectors = false;
  for (int64_t label : *labels) {
    const ChunkRow& row = *loaded->chunks.Find(label);
    DocChunk chunk{row.chunk_index, row.begin, row.end, ShownText(row.text, visibility), {}};
    // A vector of redacted text would let guesses be checked against it.
    bool whole = !visibility.hide_text && chunk.text == row.text;
    withheld_vectors = withheld_vectors || (request.include_vectors && !whole);
    if (request.include_vectors && whole) {
      chunk.vector.resize(static_cast<size_t>(dim));
      if (!loaded->backend->CopyVector(label, chunk.vector.data())) chunk.vector.clear();
    }
    out.chunks.push_back(std::move(chunk));
  }
  std::sort(out.chunks.begin(), out.chunks.end(),
            [](const DocChunk& a, const DocChunk& b) { return a.chunk_index < b.chunk_index; });
  if (visibility.hide_text) out.redacted.push_back("text");
  if (withheld_vectors) out.redacted.push_back("vector");
  return out;
}

}  // namespace lakehouse::vector
