#include "engine/database.h"

#include <duckdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <string_view>

#include "common/files.h"
#include "common/names.h"
#include "engine/connection_impl.h"
#include "engine/masking.h"
#include "engine/values.h"

namespace lakehouse::engine {

using internal::Rendering;
using internal::Chunk;
using internal::OwnedType;
using internal::Pending;
using internal::Prepared;
using internal::ResultHolder;

namespace {

// Handles only this file uses (the shared ones are in connection_impl.h).
using Config = internal::Owned<duckdb_config, duckdb_destroy_config>;
using Extracted = internal::Owned<duckdb_extracted_statements, duckdb_destroy_extracted>;

// Only SELECT: EXPLAIN ANALYZE runs the statement it explains, whatever it is.
bool IsReadOnlyStatement(duckdb_statement_type type) { return type == DUCKDB_STATEMENT_TYPE_SELECT; }

const char* StatementWord(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_INSERT: return "INSERT";
    case DUCKDB_STATEMENT_TYPE_UPDATE: return "UPDATE";
    case DUCKDB_STATEMENT_TYPE_DELETE: return "DELETE";
    case DUCKDB_STATEMENT_TYPE_CREATE: return "CREATE";
    case DUCKDB_STATEMENT_TYPE_ALTER: return "ALTER";
    case DUCKDB_STATEMENT_TYPE_DROP: return "DROP";
    case DUCKDB_STATEMENT_TYPE_COPY: return "COPY";
    case DUCKDB_STATEMENT_TYPE_ATTACH: return "ATTACH";
    case DUCKDB_STATEMENT_TYPE_DETACH: return "DETACH";
    case DUCKDB_STATEMENT_TYPE_SET:
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET: return "SET";
    case DUCKDB_STATEMENT_TYPE_PRAGMA: return "PRAGMA";
    case DUCKDB_STATEMENT_TYPE_LOAD: return "LOAD/INSTALL";
    case DUCKDB_STATEMENT_TYPE_EXPORT: return "EXPORT";
    case DUCKDB_STATEMENT_TYPE_TRANSACTION: return "transaction";
    case DUCKDB_STATEMENT_TYPE_EXPLAIN: return "EXPLAIN";
    default: return "this kind of";
  }
}

// PRAGMAs that DuckDB answers with a query over its catalog: read-only,
// and documented in docs/api.md. Others (settings, profiling) are refused.
constexpr std::string_view kReadOnlyPragmas[] = {"table_info", "show", "show_tables", "show_tables_expanded",
                                                 "show_databases", "database_list", "database_size",
                                                 "storage_info", "version", "platform", "functions", "collations"};

// The PRAGMA's name when `sql` is one ("PRAGMA table_info('x')" -> "table_info"), else "".
std::string PragmaName(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || AsciiLower(sql.substr(start, 6)) != "pragma") return "";
  size_t name = sql.find_first_not_of(" \t\r\n", start + 6);
  if (name == std::string_view::npos || name == start + 6) return "";
  size_t end = name;
  while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_')) ++end;
  return AsciiLower(sql.substr(name, end - name));
}

// The statement's first word when it is one that writes ("DELETE"), else "".
std::string WriteKeyword(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) return "";
  size_t end = start;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
  std::string word = AsciiLower(sql.substr(start, end - start));
  for (const char* w : {"insert", "update", "delete", "create", "drop", "alter", "copy", "attach", "detach", "set",
                        "reset", "load", "install", "export", "import", "truncate", "vacuum", "checkpoint", "use"}) {
    if (word == w) {
      for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return word;
    }
  }
  return "";
}

std::string StripTrailingSemicolons(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) {
    sql.pop_back();
  }
  return sql;
}

// What a cell costs in a JSON response, give or take escapes: what the
// byte cap counts, without rendering anything.
int64_t ApproximateJsonBytes(const Cell& cell) {
  if (auto* s = std::get_if<std::string>(&cell)) return static_cast<int64_t>(s->size()) + 3;
  if (auto* r = std::get_if<RawJson>(&cell)) return static_cast<int64_t>(r->text.size()) + 1;
  return 8;
}

// DuckDB appends a stack trace and a link to internal errors.
std::string FirstLine(std::string_view text) {
  size_t end = text.find('\n');
  return std::string(text.substr(0, end));
}

}  // namespace

namespace internal {

Status DuckError(Connection::Impl& conn, const char* message) {
  std::string text = message ? message : "unknown DuckDB error";
  if (conn.interrupted || text.find("INTERRUPT") != std::string::npos) {
    return Timeout("query cancelled: it ran past the time limit");
  }
  if (text.rfind("FATAL Error", 0) == 0 || text.rfind("INTERNAL Error", 0) == 0 ||
      text.find("database has been invalidated") != std::string::npos) {
    if (!conn.db->invalidated.exchange(true)) {
      spdlog::error("DuckDB failed internally and its database is replaced: {}", FirstLine(text));
    }
    return Internal("the query engine failed internally on this request and was restarted; "
                    "other requests are not affected (details in the server log)");
  }
  if (text.find("No space left on device") != std::string::npos ||
      text.find("Disk quota exceeded") != std::string::npos) {
    return StorageFullError(ENOSPC);
  }
  if (text.find("File too large") != std::string::npos) return StorageFullError(EFBIG);
  if (text.rfind("Out of Memory Error", 0) == 0) {
    return TooLarge("the query needs more memory than the engine may use ([query] duckdb_memory_limit); "
                    "narrow it with WHERE, LIMIT or fewer columns");
  }
  if (text.rfind("Catalog Error: Table with name ", 0) == 0) {
    // DuckDB suggests its own catalog tables ("Did you mean pg_enum?"): say what exists here.
    std::string name = text.substr(31, text.find(" does not exist") - 31);
    return InvalidArgument("no dataset named '" + name +
                           "' (GET /catalog/datasets or `lakehouse catalog list` lists them)");
  }
  if (auto at = text.find("Cannot access file \""); at != std::string::npos) {
    auto start = at + 20;
    auto end = text.find('"', start);
    return PermissionDenied("SQL may read only the data files of the buckets (<bucket>/datasets/..., "
                            "given as absolute paths); \"" + text.substr(start, end - start) +
                            "\" is not one of them. Query datasets by name (GET /catalog/datasets lists them)");
  }
  if (text.find("Permission Error") != std::string::npos ||
      text.find("disabled by configuration") != std::string::npos ||
      text.find("not allowed") != std::string::npos) {
    return PermissionDenied(text);
  }
  return InvalidArgument(text);
}

}  // namespace internal

Result<std::shared_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  auto db = std::shared_ptr<Database>(new Database());
  db->options_ = options;
  LH_ASSIGN_OR_RETURN(db->impl_, OpenImpl(options));
  return db;
}

Result<std::shared_ptr<Database::Impl>> Database::OpenImpl(const DatabaseOptions& options) {
  Config config;
  if (duckdb_create_config(&config.handle) != DuckDBSuccess) return Internal("duckdb_create_config failed");
  auto set = [&](const char* key, const std::string& value) {
    return duckdb_set_config(config.handle, key, value.c_str()) == DuckDBSuccess;
  };
  if (options.threads > 0) set("threads", std::to_string(options.threads));
  if (!options.memory_limit.empty() && !set("memory_limit", options.memory_limit)) {
    return InvalidArgument("invalid memory limit '" + options.memory_limit + "'");
  }
  set("autoinstall_known_extensions", "false");
  set("autoload_known_extensions", "false");
  if (!options.temp_directory.empty()) set("temp_directory", options.temp_directory.string());
  auto impl = std::make_shared<Database::Impl>();
  char* error = nullptr;
  if (duckdb_open_ext(nullptr, &impl->db, config.handle, &error) != DuckDBSuccess) {
    std::string message = error ? error : "unknown error";
    if (error) duckdb_free(error);
    return Internal("cannot open DuckDB: " + message);
  }
  {
    // Views re-read Parquet footers on every query unless DuckDB caches them.
    // (An extension setting: it can only be set once the database is open.)
    LH_ASSIGN_OR_RETURN(auto conn, SetupConnection(impl));
    LH_RETURN_IF_ERROR(conn->Execute("SET parquet_metadata_cache = true"));
    if (!internal::RegisterMaskFunction(conn->impl_->conn)) return Internal("cannot register lh_mask() in DuckDB");
    if (!options.sandboxed && (!internal::RegisterColumnarScan(conn->impl_->conn) ||
                               !internal::RegisterRowStream(conn->impl_->conn))) {
      return Internal("cannot register lakehouse's bulk table functions in DuckDB");
    }
  }
  if (options.sandboxed) {
    // allowed_directories only takes effect once external access is off; both
    // are then frozen by lock_configuration so SQL cannot undo them.
    std::string dirs;
    for (const auto& d : options.allowed_directories) {
      dirs += (dirs.empty() ? "" : ", ") + QuoteLiteral(d.string() + "/");
    }
    LH_ASSIGN_OR_RETURN(auto conn, SetupConnection(impl));
    LH_RETURN_IF_ERROR(conn->Execute("SET allowed_directories = [" + dirs + "]"));
    LH_RETURN_IF_ERROR(conn->Execute("SET enable_external_access = false"));
    LH_RETURN_IF_ERROR(conn->Execute("SET lock_configuration = true"));
  }
  return impl;
}

Database::~Database() = default;

Result<std::unique_ptr<Connection>> Database::Connect() {
  std::shared_ptr<Impl> impl;
  {
    std::lock_guard lock(mutex_);
    if (impl_->invalidated) {
      if (!options_.reopen_when_invalidated) {
        return Unavailable("the query engine is restarting after an internal error; try again");
      }
      LH_ASSIGN_OR_RETURN(impl_, OpenImpl(options_));
      ++reopens_;
    }
    impl = impl_;
  }
  duckdb_connection conn = nullptr;
  if (duckdb_connect(impl->db, &conn) != DuckDBSuccess) return Internal("cannot connect to DuckDB");
  return std::unique_ptr<Connection>(new Connection(conn, std::move(impl)));
}

bool Database::Invalidated() const {
  std::lock_guard lock(mutex_);
  return impl_->invalidated;
}

uint64_t Database::Reopens() const {
  std::lock_guard lock(mutex_);
  return reopens_;
}

Result<std::unique_ptr<Connection>> Database::SetupConnection(const std::shared_ptr<Impl>& impl) {
  duckdb_connection conn = nullptr;
  if (duckdb_connect(impl->db, &conn) != DuckDBSuccess) return Internal("cannot connect to DuckDB");
  return std::unique_ptr<Connection>(new Connection(conn, impl));
}

Connection::Connection(void* handle, std::shared_ptr<Database::Impl> db) : impl_(std::make_unique<Impl>()) {
  impl_->conn = static_cast<duckdb_connection>(handle);
  impl_->db = std::move(db);
}

Connection::~Connection() = default;

void Connection::Interrupt() {
  impl_->interrupted = true;
  duckdb_interrupt(impl_->conn);
}

double Connection::Progress() {
  duckdb_query_progress_type p = duckdb_query_progress(impl_->conn);
  return p.percentage < 0 ? -1 : p.percentage / 100.0;
}

Status Connection::Execute(const std::string& sql) {
  impl_->interrupted = false;
  ResultHolder r;
  r.valid = true;
  if (duckdb_query(impl_->conn, sql.c_str(), &r.result) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_result_error(&r.result));
  }
  return Status::Ok();
}

Result<int64_t> Connection::ExecuteCount(const std::string& sql) {
  impl_->interrupted = false;
  ResultHolder r;
  r.valid = true;
  if (duckdb_query(impl_->conn, sql.c_str(), &r.result) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_result_error(&r.result));
  }
  if (duckdb_column_count(&r.result) == 0 || duckdb_row_count(&r.result) == 0) return int64_t{0};
  return duckdb_value_int64(&r.result, 0, 0);
}

Status Connection::PrepareOne(const std::string& sql, StatementPolicy policy, void* prepared_out,
                              const ReadsCheck& check_reads) {
  auto& prepared = *static_cast<Prepared*>(prepared_out);
  if (sql.empty()) return InvalidArgument("the SQL text is empty");
  Extracted extracted;
  idx_t count = duckdb_extract_statements(impl_->conn, sql.c_str(), &extracted.handle);
  if (count == 0) {
    // Only comments or blanks: DuckDB finds no statement and gives no error text.
    const char* error = duckdb_extract_statements_error(extracted.handle);
    return InvalidArgument(error && *error ? error : "the SQL text holds no statement (only comments or blanks)");
  }
  if (count > 1) {
    // DuckDB runs a PIVOT without an IN list as a statement that makes an
    // enum of the values, then the query: two statements the read-only API will not run.
    if (AsciiLower(sql).find("pivot") != std::string::npos) {
      return InvalidArgument("a PIVOT without an IN list needs a statement that writes; list the values instead, "
                             "e.g. PIVOT t ON g IN ('a', 'b') USING sum(x)");
    }
    return InvalidArgument("send one SQL statement per request (found " + std::to_string(count) + ")");
  }
  if (policy == StatementPolicy::kReadOnly) {
    if (std::string pragma = PragmaName(sql); !pragma.empty() &&
        std::find(std::begin(kReadOnlyPragmas), std::end(kReadOnlyPragmas), pragma) == std::end(kReadOnlyPragmas)) {
      std::string allowed;
      for (auto p : kReadOnlyPragmas) allowed += (allowed.empty() ? "" : ", ") + std::string(p);
      return PermissionDenied("PRAGMA " + pragma + " is not allowed: queries are read-only (allowed: " + allowed + ")");
    }
  }
  // Before binding, which already opens the files a statement names.
  Status unreadable;
  if (check_reads) {
    LH_ASSIGN_OR_RETURN(auto reads, ReadsOf(sql));
    if (reads.not_analysed.empty()) {
      LH_RETURN_IF_ERROR(check_reads(reads));
    } else {
      unreadable = InvalidArgument(reads.not_analysed);  // binding may say why first, in its words
    }
  }
  if (duckdb_prepare_extracted_statement(impl_->conn, extracted.handle, 0, &prepared.handle) != DuckDBSuccess) {
    // A write that fails to bind (DELETE on a view) is still a write: say so
    // rather than why DuckDB could not plan it.
    if (std::string word = WriteKeyword(sql); policy == StatementPolicy::kReadOnly && !word.empty()) {
      return PermissionDenied(word + " statements are not allowed: queries are read-only (use SELECT)");
    }
    return internal::DuckError(*impl_, duckdb_prepare_error(prepared.handle));
  }
  duckdb_statement_type type = duckdb_prepared_statement_type(prepared.handle);
  if (policy == StatementPolicy::kReadOnly && !IsReadOnlyStatement(type)) {
    return PermissionDenied(std::string(StatementWord(type)) +
                            " statements are not allowed: queries are read-only (use SELECT)");
  }
  return unreadable;
}

Status Connection::CheckSelect(const std::string& sql_in, const ReadsCheck& check_reads) {
  std::string sql = StripTrailingSemicolons(sql_in);
  if (!PragmaName(sql).empty()) return InvalidArgument("export a SELECT; a PRAGMA cannot be exported");
  Prepared prepared;
  return PrepareOne(sql, StatementPolicy::kReadOnly, &prepared, check_reads);
}

Result<SqlReads> Connection::ReadsOf(const std::string& sql_in) {
  std::string sql = StripTrailingSemicolons(sql_in);
  // DuckDB serializes only SELECTs; the PRAGMAs a query may run take names.
  if (std::string pragma = PragmaName(sql); !pragma.empty()) {
    SqlReads reads;
    reads.literals = QuotedLiterals(sql);
    reads.pragma = pragma;
    return reads;
  }
  if (auto seen = impl_->reads_seen.find(sql); seen != impl_->reads_seen.end()) return seen->second;
  if (!impl_->serialize &&
      duckdb_prepare(impl_->conn, "SELECT json_serialize_sql(?::VARCHAR)", &impl_->serialize) != DuckDBSuccess) {
    std::string why = duckdb_prepare_error(impl_->serialize);
    duckdb_destroy_prepare(&impl_->serialize);
    return Internal("cannot analyse queries: " + why);
  }
  if (duckdb_bind_varchar_length(impl_->serialize, 1, sql.data(), sql.size()) != DuckDBSuccess) {
    return InvalidArgument("the SQL text is not valid UTF-8");
  }
  ResultHolder r;
  r.valid = true;
  if (duckdb_execute_prepared(impl_->serialize, &r.result) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_result_error(&r.result));
  }
  char* text = duckdb_value_varchar(&r.result, 0, 0);
  if (!text) return Internal("cannot analyse the query");
  std::string json = text;
  duckdb_free(text);
  constexpr size_t kStatementsRemembered = 256;
  if (impl_->reads_seen.size() >= kStatementsRemembered) impl_->reads_seen.clear();
  return impl_->reads_seen.emplace(sql, ReadsOfSerializedSql(json)).first->second;
}

Result<int64_t> Connection::CopySelectTo(const std::string& sql_in, const std::filesystem::path& path,
                                         const std::string& copy_options, bool floats_as_text) {
  impl_->interrupted = false;
  std::string sql = StripTrailingSemicolons(sql_in);
  // The same checks as a query: exactly one read-only statement. Only then
  // is it wrapped, so the COPY around it is the one statement that writes.
  LH_RETURN_IF_ERROR(CheckSelect(sql));
  if (floats_as_text) {
    // DuckDB's JSON writer prints FLOAT widened (0.10000000149011612); as
    // DOUBLEs parsed from their shortest text they print as stored.
    Prepared prepared;
    if (duckdb_prepare(impl_->conn, sql.c_str(), &prepared.handle) != DuckDBSuccess) {
      return internal::DuckError(*impl_, duckdb_prepare_error(prepared.handle));
    }
    std::string replacements;
    // REPLACE names columns: with two of one name (in any case) it would
    // change the wrong one, so such results are written as they are.
    std::set<std::string> names;
    bool unique = true;
    for (idx_t i = 0; i < duckdb_prepared_statement_column_count(prepared.handle); ++i) {
      unique = names.insert(AsciiLower(duckdb_prepared_statement_column_name(prepared.handle, i))).second && unique;
    }
    for (idx_t i = 0; unique && i < duckdb_prepared_statement_column_count(prepared.handle); ++i) {
      OwnedType t{duckdb_prepared_statement_column_logical_type(prepared.handle, i)};
      std::string col = QuoteIdent(duckdb_prepared_statement_column_name(prepared.handle, i));
      std::string as_text = duckdb_get_type_id(t.handle) == DUCKDB_TYPE_FLOAT
                                ? "VARCHAR"
                                : internal::NestedTypeWithFloatsAs(t.handle, "VARCHAR");
      if (as_text.empty()) continue;
      std::string as_double = as_text == "VARCHAR" ? "DOUBLE" : internal::NestedTypeWithFloatsAs(t.handle, "DOUBLE");
      replacements += (replacements.empty() ? "" : ", ") + std::string("CAST(CAST(") + col + " AS " + as_text +
                      ") AS " + as_double + ") AS " + col;
    }
    if (!replacements.empty()) sql = "SELECT * REPLACE (" + replacements + ") FROM (" + sql + "\n) AS lh_q";
  }
  return ExecuteCount("COPY (" + sql + "\n) TO " + QuoteLiteral(path.string()) + " (" + copy_options + ")");
}

Result<QueryResult> Connection::Query(const std::string& sql_in, const QueryLimits& limits) {
  auto started = std::chrono::steady_clock::now();
  impl_->interrupted = false;
  std::string sql = StripTrailingSemicolons(sql_in);
  Prepared prepared;
  LH_RETURN_IF_ERROR(PrepareOne(sql, limits.policy, &prepared, limits.check_reads));
  duckdb_statement_type type = duckdb_prepared_statement_type(prepared.handle);

  // Columns DuckDB must render for us: rewrite once, keeping the original type names.
  idx_t ncols = duckdb_prepared_statement_column_count(prepared.handle);
  std::vector<ResultColumn> columns(ncols);
  std::vector<bool> as_json(ncols, false);
  std::string replacements;
  for (idx_t i = 0; i < ncols; ++i) {
    OwnedType t{duckdb_prepared_statement_column_logical_type(prepared.handle, i)};
    columns[i].name = duckdb_prepared_statement_column_name(prepared.handle, i);
    columns[i].type = internal::TypeName(t.handle);
    Rendering rendering = internal::RenderingFor(t.handle);
    if (rendering == Rendering::kDirect) continue;
    std::string col = QuoteIdent(columns[i].name);
    as_json[i] = rendering == Rendering::kAsJson;
    std::string value = col;
    if (as_json[i]) {
      // FLOATs inside go through their shortest text: to_json would widen them.
      std::string as_text = internal::NestedTypeWithFloatsAs(t.handle, "VARCHAR");
      if (!as_text.empty()) {
        value = "CAST(CAST(" + col + " AS " + as_text + ") AS " + internal::NestedTypeWithFloatsAs(t.handle, "DOUBLE") + ")";
      }
    }
    replacements += (replacements.empty() ? "" : ", ") +
                    (as_json[i] ? "CAST(to_json(" + value + ") AS VARCHAR)" : "CAST(" + col + " AS VARCHAR)") +
                    " AS " + col;
  }
  if (!replacements.empty() && type == DUCKDB_STATEMENT_TYPE_SELECT) {
    Prepared rewritten;
    std::string wrapped = "SELECT * REPLACE (" + replacements + ") FROM (" + sql + "\n) AS lh_q";
    if (duckdb_prepare(impl_->conn, wrapped.c_str(), &rewritten.handle) != DuckDBSuccess) {
      return InvalidArgument(std::string(duckdb_prepare_error(rewritten.handle)) +
                             " (give result columns distinct names)");
    }
    std::swap(prepared.handle, rewritten.handle);
  }

  Pending pending;
  if (duckdb_pending_prepared_streaming(prepared.handle, &pending.handle) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_pending_error(pending.handle));
  }
  ResultHolder r;
  r.valid = true;
  if (duckdb_execute_pending(pending.handle, &r.result) != DuckDBSuccess) {
    return internal::DuckError(*impl_, duckdb_result_error(&r.result));
  }

  QueryResult out;
  out.columns = std::move(columns);
  if (limits.sink) LH_RETURN_IF_ERROR(limits.sink->Columns(out.columns));
  std::vector<OwnedType> types(ncols);
  for (idx_t i = 0; i < ncols; ++i) types[i].handle = duckdb_column_logical_type(&r.result, i);
  if (limits.first_column_strings && (ncols == 0 || duckdb_get_type_id(types[0].handle) != DUCKDB_TYPE_VARCHAR)) {
    return InvalidArgument("the query's first column must be VARCHAR");
  }
  while (true) {
    Chunk chunk{duckdb_fetch_chunk(r.result)};
    if (!chunk.handle) {
      const char* err = duckdb_result_error(&r.result);
      if (err && *err) return internal::DuckError(*impl_, err);
      break;
    }
    idx_t size = duckdb_data_chunk_get_size(chunk.handle);
    if (size == 0) break;
    std::vector<duckdb_vector> vectors(ncols);
    for (idx_t c = 0; c < ncols; ++c) vectors[c] = duckdb_data_chunk_get_vector(chunk.handle, c);
    if (limits.first_column_strings) {
      auto* values = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vectors[0]));
      uint64_t* validity = duckdb_vector_get_validity(vectors[0]);
      for (idx_t row = 0; row < size && !out.truncated; ++row) {
        if (validity && !duckdb_validity_row_is_valid(validity, row)) continue;
        if (limits.max_rows >= 0 && static_cast<int64_t>(out.strings.size()) >= limits.max_rows) {
          out.truncated = true;
          break;
        }
        duckdb_string_t& v = values[row];
        out.strings.emplace_back(duckdb_string_is_inlined(v) ? v.value.inlined.inlined : v.value.pointer.ptr,
                                 duckdb_string_t_length(v));
        ++out.row_count;
      }
      if (out.truncated) break;
      continue;
    }
    for (idx_t row = 0; row < size; ++row) {
      if (limits.max_rows >= 0 && out.row_count >= limits.max_rows) {
        out.truncated = true;
        break;
      }
      std::vector<Cell> cells(ncols);
      int64_t row_bytes = 2;
      for (idx_t c = 0; c < ncols; ++c) {
        cells[c] = internal::ReadCell(vectors[c], types[c].handle, row);
        if (as_json[c] && std::holds_alternative<std::string>(cells[c])) {
          cells[c] = RawJson{internal::NonFiniteAsNull(std::get<std::string>(cells[c]))};
        }
        row_bytes += ApproximateJsonBytes(cells[c]);
      }
      if (limits.max_bytes >= 0 && out.bytes + row_bytes > limits.max_bytes) {
        out.truncated = out.truncated_by_bytes = true;
        break;
      }
      out.bytes += row_bytes;
      ++out.row_count;
      if (limits.sink) {
        LH_RETURN_IF_ERROR(limits.sink->Row(cells));
      } else {
        out.rows.push_back(std::move(cells));
      }
    }
    if (out.truncated) break;
  }
  if (impl_->interrupted) return Timeout("query cancelled: it ran past the time limit");
  out.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return out;
}

std::string QueryResult::Text(size_t row, size_t column) const {
  const Cell& c = rows.at(row).at(column);
  if (auto* s = std::get_if<std::string>(&c)) return *s;
  if (auto* r = std::get_if<RawJson>(&c)) return r->text;
  if (auto* i = std::get_if<int64_t>(&c)) return std::to_string(*i);
  if (auto* u = std::get_if<uint64_t>(&c)) return std::to_string(*u);
  if (auto* d = std::get_if<double>(&c)) return std::to_string(*d);
  if (auto* b = std::get_if<bool>(&c)) return *b ? "true" : "false";
  return "";
}

int64_t QueryResult::Int(size_t row, size_t column) const {
  const Cell& c = rows.at(row).at(column);
  if (auto* i = std::get_if<int64_t>(&c)) return *i;
  if (auto* u = std::get_if<uint64_t>(&c)) return static_cast<int64_t>(*u);
  if (auto* r = std::get_if<RawJson>(&c)) return std::stoll(r->text);
  return 0;
}

}  // namespace lakehouse::engine
