// Limits on how deeply nested an input may be, checked before DuckDB reads it.
//
// DuckDB's JSON reader recurses once per level (10,000 levels exhaust the
// stack), its Parquet reader takes time exponential in the depth of nested
// lists (a 26-deep list column costs 3 s per row) and stores definition
// levels in one byte (past ~127 list levels it fails with an INTERNAL error
// that invalidates the database). So JSON text is scanned for its nesting
// before it is read, JSON types are inferred only down to kTypedJsonDepth
// (deeper values are kept whole as JSON text), and columns of any input whose
// types nest past kMaxTypeDepth are refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lakehouse::ingest {

// Real JSON files nest far less: of 1,764 JSON files of a Debian system the
// deepest (an AWS endpoint rule set) has 41 levels, 95% have 17 or fewer.
constexpr int kDefaultMaxJsonDepth = 64;
// read_json infers STRUCT/LIST types down to this depth; below it a value is
// one JSON column. At 12 levels a nested-list column reads in microseconds.
constexpr int kTypedJsonDepth = 12;
// Column types (of Parquet inputs and database imports) nesting deeper are refused.
constexpr int kMaxTypeDepth = 16;

// Streams JSON text (an array, an object, or NDJSON lines) and tracks the
// depth of '[' and '{' outside strings. Not a validator: DuckDB reports
// malformed JSON; this only finds the deepest point cheaply (~1 GB/s).
class JsonDepthScanner {
 public:
  explicit JsonDepthScanner(int limit) : limit_(limit) {}
  // Returns false as soon as the depth passes the limit; later calls return false too.
  bool Feed(std::string_view bytes);
  bool exceeded() const { return exceeded_; }
  int max_depth() const { return max_depth_; }
  int64_t line() const { return line_; }  // 1-based line of the byte that passed the limit

 private:
  int limit_;
  int depth_ = 0;
  int max_depth_ = 0;
  int64_t line_ = 1;
  bool in_string_ = false;
  bool escaped_ = false;
  bool exceeded_ = false;
};

// InvalidArgument naming the limit and the line when `file` nests deeper than `limit`.
Status CheckJsonDepth(const std::filesystem::path& file, std::string_view file_name, int limit);

// How many levels of STRUCT, MAP, UNION, LIST ([]) and ARRAY ([n]) a DuckDB
// type name nests: "INTEGER" 0, "INTEGER[]" 1, "STRUCT(a INTEGER[])[]" 3.
// Quoted field names ("a(b" VARCHAR) do not count.
int TypeNestingDepth(std::string_view duckdb_type);

// InvalidArgument naming the column when its type nests past kMaxTypeDepth.
Status CheckTypeDepth(std::string_view column, std::string_view duckdb_type);

// The depth of a Parquet schema tree given each element's num_children in
// file order (parquet_schema()), computed without building its types: a
// hostile footer can nest deeper than DuckDB's type builder can recurse. A
// LIST takes two schema levels, a STRUCT one.
int ParquetSchemaDepth(const std::vector<int64_t>& num_children);
// Schemas deeper than this are refused before DuckDB builds their types.
constexpr int kMaxParquetSchemaDepth = 2 * kMaxTypeDepth + 2;

}  // namespace lakehouse::ingest
