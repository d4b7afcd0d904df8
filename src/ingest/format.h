// Detects what kind of file an input is from its content (the name is only a
// hint for ambiguous text), so "export.dat" holding CSV ingests as CSV and a
// PDF named ".csv" is read as a PDF.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lakehouse::ingest {

enum class Format { kCsv, kJsonArray, kNdjson, kParquet, kText, kPdf };

const char* FormatName(Format format);  // "csv", "json", "ndjson", "parquet", "text", "pdf"
Result<Format> ParseFormat(std::string_view name);

enum class Compression { kNone, kGzip, kZstd };
Compression DetectCompression(const std::filesystem::path& path);  // by the magic bytes
const char* CompressionName(Compression c);  // "", "gzip", "zstd": DuckDB's names

// The first 64 KiB of the file's content, decompressed when it is gzip
// (zstd content is not sniffed: its name says what it is).
std::string ReadHead(const std::filesystem::path& path);  // decoded (plain, gzip, zstd)

// InvalidArgument for empty files and binary content we cannot read.
// Compressed files are detected by what they hold (gzip) or by the name
// inside the compression suffix (data.csv.zst).
Result<Format> DetectFormat(const std::filesystem::path& path, std::string_view file_name);

// A JSON object that is a whole document (pretty-printed, a saved API
// answer, package.json) rather than the first line of NDJSON.
bool IsJsonDocument(std::string_view head);

// The CSV delimiter (',', '\t', ';' or '|') the first lines agree on, or 0.
// Fixing it keeps DuckDB's sniffer from "explaining" a ragged file by
// skipping its first lines.
char DetectDelimiter(const std::filesystem::path& path);
// UTF-16 text announced by its byte-order mark. Little endian (FF FE) is
// read through DuckDB's utf-16 encoding, CSV/TSV only; big endian is refused.
bool IsUtf16Le(std::string_view head);
bool IsUtf16Be(std::string_view head);
char DetectDelimiterInHead(std::string_view head, bool whole_file);


// Exposed for tests: the same decision on the first bytes of a file.
Result<Format> DetectFormatFromPrefix(std::string_view head, std::string_view file_name,
                                      bool whole_file);

}  // namespace lakehouse::ingest
