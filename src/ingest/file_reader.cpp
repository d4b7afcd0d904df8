#include "ingest/file_reader.h"

#include "ingest/decoded_file.h"


#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <regex>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::ingest {

namespace fs = std::filesystem;

namespace {

constexpr size_t kSampleLines = 50;

int64_t FieldsOf(std::string_view line, char delimiter, char quote) {
  int64_t fields = 1;
  bool quoted = false;
  for (char c : line) {
    if (quote && c == quote) quoted = !quoted;
    if (c == delimiter && !quoted) ++fields;
  }
  return fields;
}

std::vector<std::string_view> HeadLines(std::string_view head, char comment, int64_t skip) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  std::vector<std::string_view> lines;
  size_t start = 0;
  int64_t seen = 0;
  while (start < head.size() && lines.size() < kSampleLines) {
    size_t end = head.find('\n', start);
    if (end == std::string_view::npos) break;  // a cut last line says nothing
    std::string_view line = head.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (seen++ < skip || line.empty() || (comment && line.front() == comment)) continue;
    lines.push_back(line);
  }
  return lines;
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string StripPrefix(std::string s) {
  for (const char* p : {"Invalid Input Error: ", "Conversion Error: ", "Binder Error: ", "Parser Error: ",
                        "IO Error: ", "Not implemented Error: ", "Catalog Error: "}) {
    if (s.rfind(p, 0) == 0) s.erase(0, std::string(p).size());
  }
  return s;
}

// "CSV Error on Line: 12" anywhere in DuckDB's text, or 0.
int64_t ErrorLine(const std::string& message) {
  static const std::regex line(R"(on Line: (\d+))");
  std::smatch m;
  if (std::regex_search(message, m, line)) return std::stoll(m[1].str());
  return 0;
}

}  // namespace

CsvShape ScanCsvShape(const std::filesystem::path& path, char delimiter, char quote, char comment, int64_t skip) {
  CsvShape shape;
  std::string record;
  bool quoted = false;
  int64_t fields = 1, line_number = 0, record_start = 1;
  auto finish = [&] {
    if (record.empty() || record == "\r") return;
    if (shape.header_fields == 0) {
      shape.header_fields = fields;
    } else {
      ++shape.records;
      if (fields < shape.header_fields && shape.short_records++ == 0) {
        shape.first_short_line = record_start;
        shape.short_fields = fields;
      }
      if (fields > shape.header_fields && shape.long_records++ == 0) {
        shape.first_long_line = record_start;
        shape.long_fields = fields;
      }
    }
  };
  bool line_start = true, in_comment = false, skipping = skip > 0;
  // A damaged file shows in what DuckDB says; its shape is what could be read.
  (void)ForEachDecodedChunk(path, [&](std::string_view bytes) {
    for (char c : bytes) {
      if (line_start && !quoted) {
        ++line_number;
        skipping = line_number <= skip;
        in_comment = !skipping && comment && c == comment;
        if (record.empty()) {
          record_start = line_number;
          fields = 1;
        }
      }
      line_start = c == '\n';
      if (skipping || in_comment) continue;
      if (c == '\n' && !quoted) {
        finish();
        record.clear();
        continue;
      }
      if (quote && c == quote) quoted = !quoted;
      if (c == delimiter && !quoted) ++fields;
      if (record.size() < 2) record += c;  // enough to tell an empty line
    }
    return true;
  });
  if (!quoted) finish();
  shape.lines = line_number;
  return shape;
}

Status CheckCompressed(const std::filesystem::path& path, const std::string& file_name) {
  std::error_code ec;
  uint64_t packed = std::filesystem::file_size(path, ec);
  uint64_t cap = std::max<uint64_t>(uint64_t{1} << 30, packed * 100);
  uint64_t total = 0;
  const char* kind = DetectCompression(path) == Compression::kZstd ? "zstd" : "gzip";
  Status read = ForEachDecodedChunk(path, [&](std::string_view bytes) {
    total += bytes.size();
    return total <= cap;
  });
  if (total > cap) {
    return InvalidArgument("cannot read " + file_name + ": it expands to more than " + std::to_string(cap >> 20) +
                           " MiB (over 100 times its size); decompress it and ingest the file itself");
  }
  if (read.code() == StatusCode::kNotFound) return NotFound("cannot open " + file_name);
  if (!read.ok()) {
    return InvalidArgument("cannot read " + file_name + ": the " + kind + " data is damaged or cut short after " +
                           std::to_string(total) + " bytes; nothing was stored");
  }
  return Status::Ok();
}

Result<Cp1252Decoded> Cp1252ToUtf8(const std::filesystem::path& path, const std::filesystem::path& out_path) {
  // 0x80..0x9F: where Windows-1252 differs from latin-1 (0: undefined there, kept as U+FFFD).
  static const char16_t kHigh[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                     0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                     0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                     0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
  // Streamed through a temporary beside `out`, renamed when whole: a big
  // file never sits in memory.
  fs::path tmp = UniqueTempPath(out_path.parent_path(), "cp1252");
  TempFileGuard guard(tmp);
  std::ofstream out(tmp, std::ios::binary);
  Cp1252Decoded decoded;
  int64_t offset = 0;
  std::string text;
  Status read = ForEachDecodedChunk(path, [&](std::string_view bytes) {
    text.clear();
    for (size_t i = 0; i < bytes.size(); ++i, ++offset) {
      unsigned char c = static_cast<unsigned char>(bytes[i]);
      char32_t cp = c < 0x80 ? c : (c < 0xA0 ? (kHigh[c - 0x80] ? kHigh[c - 0x80] : 0xFFFD) : c);
      if (cp == 0xFFFD && decoded.undefined++ == 0) decoded.first_undefined_at = offset;
      if (cp < 0x80) {
        text += static_cast<char>(cp);
      } else if (cp < 0x800) {
        text += static_cast<char>(0xC0 | (cp >> 6));
        text += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        text += static_cast<char>(0xE0 | (cp >> 12));
        text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        text += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    return static_cast<bool>(out);
  });
  if (read.code() == StatusCode::kInvalidArgument) return InvalidArgument("the compressed data is damaged");
  LH_RETURN_IF_ERROR(read);
  out.flush();
  if (!out) {
    int error = errno;
    if (error == ENOSPC || error == EDQUOT || error == EFBIG) return StorageFullError(error);
    return Internal("cannot write the decoded copy of the file");
  }
  out.close();
  std::error_code ec;
  fs::rename(tmp, out_path, ec);
  if (ec) return Internal("cannot move the decoded copy into place: " + ec.message());
  guard.Release();
  return decoded;
}

Result<SourcePlan> PlanSource(const SourceInput& in) {
  SourcePlan plan;
  plan.options = in.options;
  std::string compression = CompressionName(in.compression);
  if (in.format == Format::kParquet) {
    plan.sql = "read_parquet(" + QuoteLiteral(in.path.string()) + ")";
    return plan;
  }
  std::string head = ReadHead(in.path);
  if (int64_t skip = in.options.skip.value_or(0); in.format == Format::kCsv && skip > 0) {
    // DuckDB reads a file skipped to its end as an empty table with made-up columns.
    int64_t lines = 0;
    bool ends_open = false;
    (void)ForEachDecodedChunk(in.path, [&](std::string_view bytes) {
      for (char c : bytes) lines += c == '\n';
      if (!bytes.empty()) ends_open = bytes.back() != '\n';
      return lines <= skip;
    });
    lines += ends_open ? 1 : 0;
    if (lines <= skip) {
      return InvalidArgument("cannot read " + in.file_name + " as csv: --skip " + std::to_string(skip) +
                             " leaves nothing to read: the file has " + std::to_string(lines) +
                             (lines == 1 ? " line" : " lines"));
    }
  }
  if (in.format != Format::kCsv) {
    std::string layout = "newline_delimited";
    if (in.format == Format::kJsonArray) layout = "array";
    // A whole document (one pretty-printed object) is one row, or with
    // `records` one row per element of the array it names.
    if (in.format == Format::kNdjson && IsJsonDocument(head)) layout = "unstructured";
    if (!in.options.records.empty() && layout == "newline_delimited") layout = "unstructured";
    plan.sql = JsonReaderSql(in.path.string(), plan.options, layout, in.typed_json_depth, compression);
    return plan;
  }
  std::string_view body = head;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  if (!plan.options.comment && !body.empty() && body.front() == '#') {
    // tzdata's zone.tab and many exports open with '#' notes.
    plan.options.comment = '#';
    plan.warnings.push_back("lines starting with '#' were skipped as comments (set comment to change this)");
  }
  plan.delimiter = plan.options.delimiter.value_or(0);
  if (!plan.delimiter) plan.delimiter = DetectDelimiterInHead(head, head.size() < (64u << 10));
  char quote = plan.options.quote.value_or('"');
  char comment = plan.options.comment.value_or(0);
  if (!plan.options.skip && !plan.options.header && plan.delimiter) {
    // A note line above the header (scikit-learn's bundled CSVs) has fewer
    // fields than the header and rows that agree below it.
    auto lines = HeadLines(head, comment, 0);
    if (lines.size() >= 3) {
      int64_t first = FieldsOf(lines[0], plan.delimiter, quote);
      int64_t second = FieldsOf(lines[1], plan.delimiter, quote);
      size_t agree = 0;
      for (size_t i = 1; i < lines.size(); ++i) agree += FieldsOf(lines[i], plan.delimiter, quote) == second;
      if (first < second && agree * 10 >= (lines.size() - 1) * 9) {
        return InvalidArgument("cannot read " + in.file_name + " as csv: line 1 has " + std::to_string(first) +
                               " fields but the lines after it have " + std::to_string(second) +
                               ". If line 1 is a note above the header, skip it with --skip 1 (upload field skip=1)");
      }
    }
  }
  plan.sql = CsvReaderSql(in.path.string(), plan.options, plan.delimiter, false, compression);
  return plan;
}

Result<SourcePlan> ReplanAfterError(const SourceInput& in, const SourcePlan& plan, const Status& error) {
  std::string what = "cannot read " + in.file_name + " as " + FormatName(in.format) + ": ";
  std::string message = ReaderErrorInOurWords(error.message(), in.path.string(), in.file_name);
  if (in.format != Format::kCsv) {
    if (!in.options.records.empty() && error.message().find("Referenced column") != std::string::npos) {
      std::string path;
      for (const auto& k : in.options.records) path += (path.empty() ? "" : ".") + k;
      return InvalidArgument(what + "the document has no array at records path '" + path + "'");
    }
    return InvalidArgument(what + message);
  }
  char delimiter = plan.delimiter ? plan.delimiter : ',';
  CsvShape shape = ScanCsvShape(in.path, delimiter, plan.options.quote.value_or('"'), plan.options.comment.value_or(0),
                                plan.options.skip.value_or(0));
  if (plan.options.skip.value_or(0) > 0 && shape.header_fields == 0) {
    return InvalidArgument(what + "--skip " + std::to_string(*plan.options.skip) +
                           " leaves nothing to read: the file has " + std::to_string(shape.lines) +
                           (shape.lines == 1 ? " line" : " lines"));
  }
  if (!plan.options.null_padding && shape.short_records > 0 && shape.long_records == 0) {
    // Old rows written before a column existed (Debian's distro-info): the
    // missing trailing fields are NULL, and the user is told.
    SourcePlan padded_plan = plan;
    padded_plan.options.null_padding = true;
    padded_plan.sql = CsvReaderSql(in.path.string(), padded_plan.options, plan.delimiter, true, CompressionName(in.compression));
    padded_plan.warnings.push_back(std::to_string(shape.short_records) + " of " + std::to_string(shape.records) +
                                   " rows have fewer fields than the header's " + std::to_string(shape.header_fields) +
                                   " (first: line " + std::to_string(shape.first_short_line) +
                                   "); their missing trailing fields are NULL");
    return padded_plan;
  }
  if (plan.options.header == false && !plan.options.null_padding && (shape.short_records || shape.long_records)) {
    // No header: every line is a row, as wide as the widest; shorter ones
    // get NULL for what they lack (tzdata's zone.tab).
    SourcePlan padded_plan = plan;
    padded_plan.options.null_padding = true;
    padded_plan.sql = CsvReaderSql(in.path.string(), padded_plan.options, plan.delimiter, true, CompressionName(in.compression));
    padded_plan.warnings.push_back("rows have from " +
                                   std::to_string(std::min(shape.header_fields, shape.short_records ? shape.short_fields : shape.header_fields)) +
                                   " to " + std::to_string(std::max(shape.header_fields, shape.long_fields)) +
                                   " fields; the missing ones are NULL");
    return padded_plan;
  }
  if (shape.long_records > 0) {
    return InvalidArgument(what + "line " + std::to_string(shape.first_long_line) + " has " +
                           std::to_string(shape.long_fields) + " fields but the first line, the header, has " +
                           std::to_string(shape.header_fields) +
                           ". If the first line is data, use --header false; otherwise quote fields that contain "
                           "the delimiter, or give the right --delimiter");
  }
  return InvalidArgument(what + message);
}

std::string ReaderErrorInOurWords(const std::string& raw, const std::string& spool_path, const std::string& file_name) {
  std::string message = raw;
  for (size_t pos = 0; !spool_path.empty() && (pos = message.find(spool_path, pos)) != std::string::npos;) {
    message.replace(pos, spool_path.size(), file_name);
    pos += file_name.size();
  }
  int64_t line = ErrorLine(message);
  std::string at = line > 0 ? " (line " + std::to_string(line) + ")" : "";
  if (message.find("Error when sniffing file") != std::string::npos ||
      message.find("not possible to automatically detect") != std::string::npos) {
    return "its lines do not agree on one CSV layout" + at +
           ". Give the --delimiter, --quote or --skip it uses, or --null-padding if rows lack trailing fields";
  }
  if (message.find("not latin-1 encoded") != std::string::npos) {
    return "it is not latin-1 text" + at + ". Try --encoding cp1252";
  }
  if (message.find("nvalid unicode") != std::string::npos || message.find("UTF-8") != std::string::npos ||
      message.find("utf-8") != std::string::npos) {
    return "it is not UTF-8 text" + at + ". Give its encoding, e.g. --encoding latin-1 or --encoding cp1252";
  }
  if (message.find("must not appear in the") != std::string::npos) {
    return "two reader options clash: the delimiter, quote, escape and null text must all differ";
  }
  static const std::regex missing_column(R"(Columns with names: (.*) do not exist)");
  static const std::regex unknown_type(R"(Type with name (\S+) does not exist)");
  std::smatch m;
  if (std::regex_search(message, m, missing_column)) {
    return "types names columns the file does not have: " + m[1].str();
  }
  if (std::regex_search(message, m, unknown_type)) {
    std::string type = m[1].str();
    while (!type.empty() && type.back() == '!') type.pop_back();
    return "'" + type + "' in types is not a column type (use e.g. BIGINT, VARCHAR, DOUBLE, DATE, DECIMAL(10,2))";
  }
  static const std::regex converting(R"re(Error when converting column "([^"\n]*)"\. (Could not convert [^\n]*))re");
  if (std::regex_search(message, m, converting)) {
    return "column " + m[1].str() + ": " + m[2].str() + at +
           ". Give the column's type with --types COLUMN=VARCHAR, or the --date-format, --timestamp-format or "
           "--decimal-separator the file uses";
  }
  std::string first = StripPrefix(FirstLine(message));
  if (first.find("Could not convert") != std::string::npos || first.find("Could not parse") != std::string::npos) {
    return first + at + ". Give the column's type with --types COLUMN=VARCHAR, or the --date-format, "
                        "--timestamp-format or --decimal-separator the file uses";
  }
  if (first.find("Expected Number of Columns") != std::string::npos) {
    return "a row has a different number of fields than the header" + at +
           ". Quote fields that contain the delimiter, or give the right --delimiter";
  }
  // Anything else: DuckDB's first line only, without its statement or option names.
  static const std::regex option(R"(\b[a-z_]+ ?= ?(true|false|'[^']*'|\d+)\b)");
  first = std::regex_replace(first, option, "");
  if (auto cut = first.find("LINE 1:"); cut != std::string::npos) first.erase(cut);
  return first + at;
}

}  // namespace lakehouse::ingest
