// What of an index's own data a caller may see. Doc ids and chunk text come
// from dataset columns; when those are PII (or unknown to the catalog: a
// stale catalog must not leak) they are shown only to callers who asked for
// PII and may see it. Shared by search and doc fetch.
#pragma once

#include <string>

#include "catalog/manifest.h"
#include "common/status.h"
#include "vector/index_manifest.h"

namespace lakehouse::vector {

inline constexpr const char* kRedacted = "[redacted]";

inline bool IsPiiColumn(const Result<catalog::Manifest>& dataset, const std::string& column) {
  const catalog::ColumnMeta* meta = dataset.ok() ? dataset->FindColumn(column) : nullptr;
  return !meta || meta->is_pii;
}

struct Visibility {
  bool hide_text = true;
  bool hide_id = true;
};

inline Visibility VisibilityOf(const Result<catalog::Manifest>& dataset, const IndexManifest& index, bool reveal) {
  return {!reveal && IsPiiColumn(dataset, index.text_column), !reveal && IsPiiColumn(dataset, index.id_column)};
}

}  // namespace lakehouse::vector
