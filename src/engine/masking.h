// Column masks: how PII and restricted columns look to a caller without the
// pii grant. Masking happens in the views such a caller's SQL resolves to
// (schema lh_masked, each column replaced before any of the caller's SQL
// sees it), so functions, casts, joins, GROUP BY and exports over a column
// only ever meet its masked values.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/manifest.h"
#include "common/status.h"
#include "engine/sql_reads.h"

namespace lakehouse::engine {

// Schemas of the sandboxed database: every dataset's view in lh_raw, and
// its masked twin in lh_masked. A connection's search_path is one of them,
// so an unqualified name never reaches the other.
inline constexpr const char* kRawSchema = "lh_raw";
inline constexpr const char* kMaskedSchema = "lh_masked";

// One text value masked, keeping its shape where that says nothing about
// the person: "j***@example.org", "**** **** **** 1111", "***-**-6789",
// "+* (***) ***-**67", "DE** **** **** **** **30 00"; anything else "***"
// ("" stays "").
std::string MaskValue(std::string_view value);

// The lower-case names of the columns `version` masks: PII or restricted
// there or in the dataset's current columns (a flag set later, or under the
// name a column had before it was renamed, covers old versions too).
std::set<std::string> MaskedColumns(const catalog::Manifest& dataset, const catalog::DatasetVersion& version);

// The SELECT list a masked view puts over `columns` (name, DuckDB type) of
// its raw view, in order: masked text through lh_mask(), every other
// masked type as NULL of itself, the rest as they are.
std::string MaskedSelectList(const std::vector<std::pair<std::string, std::string>>& columns,
                             const std::set<std::string>& masked);

// Refuses (kPermissionDenied) what a masked caller's statement could use to
// read around its views: a schema or catalog other than the masked one and
// DuckDB's own metadata, a file named as a table, table functions other
// than value generators and metadata, and PRAGMAs that show stored values.
Status CheckMaskedReads(const SqlReads& reads);

namespace internal {
// Registers lh_mask(VARCHAR) -> VARCHAR (MaskValue) on `connection` (a duckdb_connection).
bool RegisterMaskFunction(void* connection);
}  // namespace internal

}  // namespace lakehouse::engine
