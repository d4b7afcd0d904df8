// The JSON of vector indexes and search answers, shared by the HTTP routes
// and the CLI's --json output (the same document either way).
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "vector/doc_fetch.h"
#include "vector/index_registry.h"
#include "vector/eval/evaluator.h"
#include "vector/index_stats.h"
#include "vector/searcher.h"

namespace lakehouse::server {

// An index as GET /vectors/indexes/{name} shows it: the manifest without
// tombstone lists, with `stale`, build progress and the next scheduled refresh.
nlohmann::json IndexJson(const vector::IndexManifest& m, vector::IndexRegistry& indexes, catalog::Catalog& catalog);
// A search answer as POST /vectors/search/{index} returns it.
nlohmann::json SearchJson(const vector::SearchResponse& r);
// GET /vectors/indexes/{name}/docs/{doc_id}.
nlohmann::json DocJson(const vector::DocResponse& d);
// GET /vectors/indexes/{name}/stats.
nlohmann::json StatsJson(const vector::IndexStats& s);
nlohmann::json EvalReportJson(const vector::eval::EvalReport& r);
// The report, with the weight sweep when the run tuned.
nlohmann::json EvalOutcomeJson(const vector::eval::EvalOutcome& o);

}  // namespace lakehouse::server
