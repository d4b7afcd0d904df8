// Turns documents into rows: plain text into one row per paragraph, PDF into
// one row per page. Rows are written as NDJSON to a staging file that DuckDB
// then reads like any other JSON input, so every format leaves ingest through
// the same Parquet writer.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/reader_options.h"

namespace lakehouse::ingest {

// Paragraphs: runs of lines separated by one or more blank lines, trimmed,
// empty ones dropped. Invalid UTF-8 is replaced, never passed on.
std::vector<std::string> SplitParagraphs(std::string_view text);

// Records of a text: paragraphs (kWhole and kParagraph), non-blank lines
// (kLine), or the runs of lines between lines holding only `separator`
// (kSeparator: a fortune file's "%"). Trimmed, empty ones dropped.
std::vector<std::string> SplitRecords(std::string_view text, TextRecords mode, const std::string& separator);

// Columns: doc_id, paragraph | line | record (1-based), text, source.
// Returns the row count. Reads gzip-compressed text too.
Result<int64_t> TextToNdjson(const std::filesystem::path& input, const std::string& doc_id,
                             const std::filesystem::path& output, TextRecords mode = TextRecords::kWhole,
                             const std::string& separator = "");

// Columns: doc_id, page (1-based), text, source. Returns the row count.
// InvalidArgument for a damaged or password-protected PDF.
Result<int64_t> PdfToNdjson(const std::filesystem::path& input, const std::string& doc_id,
                            const std::filesystem::path& output);

}  // namespace lakehouse::ingest
