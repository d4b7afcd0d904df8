// What of an index's own data a caller may see. Doc ids and chunk text come
// from dataset columns; when those are PII or restricted (or unknown to the catalog: a
// stale catalog must not leak) they are shown only to callers who asked for
// PII and may see it. Shared by search and doc fetch.
#pragma once

#include <string>

#include "catalog/manifest.h"
#include "catalog/pii_spans.h"
#include "common/status.h"
#include "vector/index_manifest.h"

namespace lakehouse::vector {

inline constexpr const char* kRedacted = "[redacted]";

inline bool IsPiiColumn(const Result<catalog::Manifest>& dataset, const std::string& column) {
  const catalog::ColumnMeta* meta = dataset.ok() ? dataset->FindColumn(column) : nullptr;
  return !meta || meta->is_pii || meta->sensitivity == catalog::Sensitivity::kRestricted;
}

struct Visibility {
  bool hide_text = true;
  bool hide_id = true;
  bool hide_spans = true;  // PII inside text a caller may see (an e-mail in a note) shows as its kind
};

// Chunk text as `visibility` lets it be shown.
inline std::string ShownText(const std::string& text, const Visibility& visibility) {
  if (visibility.hide_text) return kRedacted;
  if (!visibility.hide_spans) return text;
  auto spans = catalog::FindPiiSpans(text);
  return spans.empty() ? text : catalog::RedactPiiSpans(text, spans);
}

inline Visibility VisibilityOf(const Result<catalog::Manifest>& dataset, const IndexManifest& index, bool reveal) {
  return {!reveal && IsPiiColumn(dataset, index.text_column), !reveal && IsPiiColumn(dataset, index.id_column), !reveal};
}

}  // namespace lakehouse::vector
