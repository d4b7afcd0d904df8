// What a user's query reads, found in DuckDB's own parse tree
// (json_serialize_sql), so the sandbox can refuse what DuckDB's
// allowed_directories lets through: it compares path strings, and follows a
// symbolic link inside a bucket to wherever it points.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace lakehouse::engine {

struct TableRef {
  std::string catalog, schema, name;  // as written; catalog and schema empty when not
};

struct SqlReads {
  std::vector<std::string> literals;  // every string literal: any of them may be a path DuckDB opens
  std::vector<std::string> tables;    // names in FROM (a view, or a file DuckDB scans by its name)
  std::vector<TableRef> refs;         // the same names, with the schema and catalog written before them
  std::vector<std::string> functions;  // table functions called, lower case
  std::vector<std::string> ctes;       // names the statement's WITH clauses define
  std::string pragma;                  // the PRAGMA's name, lower case, when the statement is one
  // Empty when DuckDB could serialize the statement; else why not (not a
  // SELECT, or not valid SQL: binding then says which, in its words).
  std::string not_analysed;
};

// The reads in the JSON json_serialize_sql gave for one SELECT. A table
// function argument must be written out (literals, lists, structs, name =
// literal): a computed one (`'/da' || 'ta'`, getvariable()) is a path no one
// could check before DuckDB opens it, and is refused (kInvalidArgument), as
// are query() and query_table(), whose argument is more SQL.
Result<SqlReads> ReadsOfSerializedSql(const std::string& json);

// The single-quoted literals of a statement DuckDB cannot serialize (PRAGMA).
std::vector<std::string> QuotedLiterals(const std::string& sql);

// Refuses (kPermissionDenied) a literal that names a path below one of
// `roots` which is, or lies in, a symbolic link, or a pattern (`*`, `?`,
// `[`, `{`) whose folder holds one anywhere below it. Literals that name
// nothing below the roots are DuckDB's sandbox's to judge.
Status CheckNoLinks(const std::vector<std::string>& literals, const std::vector<std::filesystem::path>& roots);

}  // namespace lakehouse::engine
