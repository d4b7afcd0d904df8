// How core types look in API responses.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "catalog/manifest.h"
#include "engine/result.h"
#include "ingest/ingestor.h"

namespace lakehouse::server {

// The stored manifest plus what is computed at read time (overdue).
nlohmann::json DatasetJson(const catalog::Manifest& m, TimePoint now);
// The same without file lists (each version says its file_count instead).
nlohmann::json DatasetSummaryJson(const catalog::Manifest& m, TimePoint now);
nlohmann::json IngestResultJson(const ingest::IngestResult& r);
nlohmann::json CellJson(const engine::Cell& cell);
// Written directly (no intermediate JSON tree): this is the hot path of /query/sql.
std::string QueryResultJson(const engine::QueryResult& r);
// The same JSON in pieces, for results streamed row by row (RowSink).
std::string QueryJsonHead(const std::vector<engine::ResultColumn>& columns);
void AppendQueryJsonRow(std::string& out, const std::vector<engine::Cell>& row, bool first);
std::string QueryJsonTail(const engine::QueryResult& r);

}  // namespace lakehouse::server
