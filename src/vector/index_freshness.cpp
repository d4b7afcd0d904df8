// Freshness: which indexes a dataset has, whether they have seen its data,
// and what the dataset's manifest says about its embeddings.
#include "vector/index_registry.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::vector {

void IndexRegistry::RecordEmbedded(const std::string& dataset) {
  auto indexes = IndexesOfDataset(dataset);
  auto result = catalog_.Mutate(dataset, [&](std::optional<catalog::Manifest> m) -> Result<catalog::Manifest> {
    if (!m) return NotFound("dataset " + dataset + " is gone");
    bool fresh = true;
    // An index that was never built (building, failed) cannot be fresh or stale.
    for (const auto& index : indexes) {
      if (index.active && index.active->source_signature != DatasetSignature(*m)) fresh = false;
    }
    m->last_embedded_at = Now();
    if (fresh) {
      m->embedding_stale_since.reset();
    } else if (!m->embedding_stale_since) {
      m->embedding_stale_since = Now();
    }
    return *m;
  });
  if (!result.ok()) spdlog::warn("recording embeddings of {}: {}", dataset, result.status().message());
}

bool IndexRegistry::SourceChanged(const IndexManifest& manifest) const {
  auto dataset = catalog_.Get(manifest.dataset);
  return manifest.active && dataset.ok() && DatasetSignature(*dataset) != manifest.active->source_signature;
}

std::vector<IndexManifest> IndexRegistry::IndexesOfDataset(const std::string& dataset) const {
  std::vector<IndexManifest> out;
  for (auto& m : List()) {
    if (m.dataset == dataset) out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> IndexRegistry::IndexesInBucket(const std::string& bucket) const {
  std::vector<std::string> out;
  for (const auto& m : List()) {
    if (m.bucket == bucket) out.push_back(m.name);
  }
  return out;
}

}  // namespace lakehouse::vector
