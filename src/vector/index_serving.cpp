// Serving: the generation each search uses (loaded on first use, or
// served ahead of its manifest by an append), and the serving snapshot.
#include "vector/index_registry.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::vector {

Result<std::shared_ptr<const LoadedIndex>> IndexRegistry::Acquire(const std::string& name) {
  for (int attempt = 0;; ++attempt) {
    LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
    if (!manifest.active) {
      return Conflict("index '" + name + "' is " + IndexStatusName(manifest.status) +
                      (manifest.error.empty() ? "" : " (" + manifest.error + ")") + "; it cannot be searched yet");
    }
    std::shared_ptr<std::mutex> load_mutex;
    auto served = [&]() -> std::shared_ptr<const LoadedIndex> {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(name);
      if (it == entries_.end()) return nullptr;
      load_mutex = it->second.load_mutex;
      const auto& loaded = it->second.loaded;
      // Moved by another process: its files are open where they were.
      bool current = loaded && loaded->bucket == manifest.bucket &&
                     (loaded->generation.number == manifest.active->number ||
                      (it->second.served_ahead && loaded->generation.number > manifest.active->number));
      return current ? loaded : nullptr;
    };
    if (auto loaded = served()) return loaded;
    if (!load_mutex) return NotFound("no index named '" + name + "'");
    std::lock_guard load_lock(*load_mutex);
    if (auto loaded = served()) return loaded;
    LH_ASSIGN_OR_RETURN(auto store, buckets_.Get(manifest.bucket));
    LH_ASSIGN_OR_RETURN(auto builder, Builder());
    auto loaded = builder->Load(manifest, *manifest.active, *store);
    if (!loaded.ok()) {
      // A refresh may have replaced (and removed) this generation meanwhile.
      auto now = Get(name);
      if (attempt == 0 && now.ok() && now->active && now->active->number != manifest.active->number) continue;
      problems_.Report("index " + name, "cannot be loaded: " + loaded.status().message());
      return Internal("index '" + name + "' cannot be loaded (" + loaded.status().message() +
                      "); drop and re-create it");
    }
    problems_.Clear("index " + name);
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return NotFound("no index named '" + name + "'");
    if (!it->second.loaded || it->second.loaded->generation.number <= (*loaded)->generation.number) {
      it->second.loaded = *loaded;
    }
    return std::shared_ptr<const LoadedIndex>(*loaded);
  }
}

std::shared_ptr<const LoadedIndex> IndexRegistry::LoadedFor(const IndexManifest& manifest) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(manifest.name);
  if (it == entries_.end() || !it->second.loaded || !manifest.active) return nullptr;
  const auto& loaded = it->second.loaded;
  // Another generation, or files moved by another process.
  if (loaded->generation.number != manifest.active->number || loaded->bucket != manifest.bucket) return nullptr;
  return loaded;
}

Result<IndexRegistry::Serving> IndexRegistry::Serve(const std::string& name, bool with_embedder) {
  Serving out;
  LH_ASSIGN_OR_RETURN(out.manifest, Get(name));
  LH_ASSIGN_OR_RETURN(out.index, Acquire(name));
  if (with_embedder) {
    LH_ASSIGN_OR_RETURN(out.embedder, QueryEmbedder(name));
  }
  return out;
}

Result<std::shared_ptr<ai::Embedder>> IndexRegistry::QueryEmbedder(const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  return embedders_.ForQueries(manifest.embedder);
}

}  // namespace lakehouse::vector
