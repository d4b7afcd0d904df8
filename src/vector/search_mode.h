// How a search ranks: its own header because index manifests record it (in
// their eval history) and searcher.h depends on the manifest.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace lakehouse::vector {

// vector: by meaning; text: full-text (BM25) words; hybrid: both, fused.
enum class SearchMode { kVector, kText, kHybrid };
const char* SearchModeName(SearchMode mode);
std::optional<SearchMode> ParseSearchMode(std::string_view name);

// The longest query text: embedding 300 KB took use-lite 77 s of a core,
// and no one types more than a few paragraphs to search by.
inline constexpr size_t kMaxQueryBytes = 8192;

}  // namespace lakehouse::vector
