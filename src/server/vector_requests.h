// Request fields the vector routes share (routes_vectors.cpp defines them).
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include <httplib.h>

#include "vector/backend.h"
#include "vector/searcher.h"

namespace lakehouse::server {

// "backend": auto | flat | hnsw | ivf_pq with "backend_options"; the older
// "hnsw": {m, ef_construction, ef_search} means backend hnsw.
Result<vector::BackendSpec> ParseBackend(const nlohmann::json& body);
// The body of POST /vectors/search/{index} (and its profile-scoped twin).
Result<vector::SearchRequest> ParseSearch(const nlohmann::json& body);

}  // namespace lakehouse::server
