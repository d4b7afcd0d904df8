// Runs one SQL statement in a fresh DuckDB process and exits: a stand-in for
// the `duckdb` command-line shell (the npm packages ship only the library),
// so that DuckDB's COPY can be timed as a command, process start included,
// like `lakehouse ingest`.
//
// usage: duckdb_copy "COPY (SELECT * FROM read_csv('f.csv')) TO 'f.parquet'"
#include <duckdb.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: duckdb_copy SQL\n");
    return 2;
  }
  duckdb_database db;
  duckdb_connection conn;
  if (duckdb_open(nullptr, &db) != DuckDBSuccess || duckdb_connect(db, &conn) != DuckDBSuccess) {
    std::fprintf(stderr, "cannot open DuckDB\n");
    return 1;
  }
  duckdb_result result;
  bool ok = duckdb_query(conn, argv[1], &result) == DuckDBSuccess;
  if (!ok) std::fprintf(stderr, "%s\n", duckdb_result_error(&result));
  duckdb_destroy_result(&result);
  duckdb_disconnect(&conn);
  duckdb_close(&db);
  return ok ? 0 : 1;
}
