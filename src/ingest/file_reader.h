// What DuckDB is asked to read for one input file: the reader call built
// from the detected format, the file's shape and the user's ReaderOptions,
// the second try when the first fails for a reason we can fix (rows missing
// trailing fields), and the error in our words when it cannot be read.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "ingest/format.h"
#include "ingest/reader_options.h"

namespace lakehouse::ingest {

struct SourcePlan {
  std::string sql;                    // read_csv(...) or read_json(...), for SELECT * FROM <sql>
  ReaderOptions options;              // what was used: the user's and what the shape decided
  std::vector<std::string> warnings;  // for the user: what was decided for them, what looks wrong
  char delimiter = 0;                 // CSV only
};

struct SourceInput {
  std::filesystem::path path;  // what DuckDB reads (a spool, or a converted copy)
  std::string file_name;       // what the user calls it
  Format format = Format::kCsv;
  ReaderOptions options;
  Compression compression = Compression::kNone;
  int typed_json_depth = 12;
};

// The first plan. Refuses what would be read wrongly (a note line above a
// CSV header) with a message that names our option to fix it.
Result<SourcePlan> PlanSource(const SourceInput& in);

// After DuckDB refused `plan`: a plan that reads the file (rows missing
// trailing fields become NULL), or the error in our words (file, line,
// what was found, which of our options fixes it). Never DuckDB's statement
// or its option names.
Result<SourcePlan> ReplanAfterError(const SourceInput& in, const SourcePlan& plan, const Status& error);

// Rewrites a reader error for people: the spool path becomes the file
// name, DuckDB's statement and option hints are dropped.
std::string ReaderErrorInOurWords(const std::string& message, const std::string& spool_path,
                                  const std::string& file_name);

// Reads a gzip or zstd file through to its end: refuses one that is damaged or cut
// short (zlib would hand over what it could, and the rows would be lost
// without a word), or that expands past 100 times its size and 1 GiB (a
// compression bomb).
Status CheckCompressed(const std::filesystem::path& path, const std::string& file_name);

// Decodes Windows-1252 text (gzip or plain) into UTF-8 at `out`. The five
// bytes cp1252 leaves undefined become U+FFFD; the answer says how many
// there were, and the offset of the first, for the caller to warn about.
struct Cp1252Decoded {
  int64_t undefined = 0;
  int64_t first_undefined_at = -1;
};
Result<Cp1252Decoded> Cp1252ToUtf8(const std::filesystem::path& in, const std::filesystem::path& out);

// Field counts of a CSV's records (quotes respected, comment lines and the
// first `skip` lines left out); reads gzip too.
struct CsvShape {
  int64_t header_fields = 0;
  int64_t records = 0;
  int64_t short_records = 0, long_records = 0;
  int64_t first_short_line = 0, first_long_line = 0, long_fields = 0, short_fields = 0;
  int64_t lines = 0;  // all of them, skipped ones included
};
CsvShape ScanCsvShape(const std::filesystem::path& path, char delimiter, char quote, char comment, int64_t skip);

}  // namespace lakehouse::ingest
