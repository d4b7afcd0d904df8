// How to read a file when detection alone does not get it right: the CSV
// dialect (delimiter, quote, header, lines to skip, comments, NULL text,
// missing trailing fields, encoding, decimal separator, date formats, column
// types), which array of a JSON document holds the records, and how plain
// text splits into records. Set by CLI flags and upload fields of the same
// names, kept in the dataset's lineage so a re-ingest reads the same way.
//
// Every value is checked here and reaches DuckDB only as a quoted literal:
// users never write reader SQL or see DuckDB's option names.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace lakehouse::ingest {

enum class Encoding { kUtf8, kUtf16, kLatin1, kCp1252 };
enum class TextRecords { kWhole, kParagraph, kLine, kSeparator };

struct ReaderOptions {
  std::optional<char> delimiter;
  std::optional<char> quote;   // '\0': no quoting
  std::optional<char> escape;
  std::optional<bool> header;
  std::optional<int64_t> skip;  // lines before the header
  std::optional<char> comment;  // lines starting with it are skipped
  std::optional<std::string> null_string;
  std::optional<bool> null_padding;  // missing trailing fields are NULL
  std::optional<Encoding> encoding;
  std::optional<char> decimal_separator;
  std::optional<std::string> date_format, timestamp_format;
  std::vector<std::pair<std::string, std::string>> types;  // column -> SQL type
  std::vector<std::string> records;  // JSON: the path of the array of records ("3166-1")
  TextRecords text_records = TextRecords::kWhole;
  std::string text_separator;  // for kSeparator: a line holding only this ends a record

  bool empty() const { return ToMap().empty(); }
  // The canonical form: what lineage stores, what the duplicate check
  // compares, and what `catalog show` prints. FromMap(ToMap()) round-trips.
  std::map<std::string, std::string> ToMap() const;
};

// The option names, for help texts and "unknown option" messages.
const std::vector<std::string>& ReaderOptionNames();

// Reads options given as text (upload fields, CLI flags, lineage), by the
// names ReaderOptionNames lists. Unknown names are refused only when
// `strict` (a form carries other fields too).
Result<ReaderOptions> ReaderOptionsFromMap(const std::map<std::string, std::string>& values, bool strict);

// What a format name implies for the options: "tsv" is CSV delimited by
// tabs (unless a delimiter was given).
void ApplyFormatName(const std::string& format_name, ReaderOptions& options);

// The read_csv(...) / read_json(...) call for `path` with these options.
// `detected_delimiter` (0: none) applies when the user gave none; `pad`
// turns on missing-trailing-fields-as-NULL; `compression` is "" or "gzip"/"zstd".
std::string CsvReaderSql(const std::string& path, const ReaderOptions& options, char detected_delimiter,
                         bool pad, const std::string& compression);
// `json_format`: "newline_delimited", "array" or "unstructured" (a document).
std::string JsonReaderSql(const std::string& path, const ReaderOptions& options, const std::string& json_format,
                          int typed_depth, const std::string& compression);

}  // namespace lakehouse::ingest
