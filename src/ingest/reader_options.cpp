#include "ingest/reader_options.h"

#include <cctype>
#include <stdexcept>

#include "common/names.h"
#include "engine/row_stream.h"

namespace lakehouse::ingest {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One character, written as itself or by name ("tab", "\t", "none").
Result<char> OneChar(const std::string& key, const std::string& value, bool allow_none) {
  std::string v = Lower(value);
  if (v == "tab" || value == "\\t" || value == "\t") return '\t';
  if (allow_none && (v == "none" || value.empty())) return '\0';
  if (value.size() == 1 && static_cast<unsigned char>(value[0]) >= 32 && value[0] != 127) return value[0];
  if (value.size() > 1 && value.size() <= 4 && static_cast<unsigned char>(value[0]) >= 0xC0) {
    return InvalidArgument(key + " must be a one-byte (ASCII) character such as , ; | or \"tab\"; '" + value +
                           "' takes " + std::to_string(value.size()) + " bytes in UTF-8");
  }
  return InvalidArgument(key + " must be one character (or \"tab\"" + (allow_none ? ", \"none\"" : "") +
                         "), got '" + value + "'");
}

std::string CharText(char c) {
  if (c == '\t') return "tab";
  if (c == '\0') return "none";
  return std::string(1, c);
}

Result<bool> Bool(const std::string& key, const std::string& value) {
  std::string v = Lower(value);
  if (v == "true" || v == "yes" || v == "1" || v == "on") return true;
  if (v == "false" || v == "no" || v == "0" || v == "off") return false;
  return InvalidArgument(key + " must be true or false, got '" + value + "'");
}

Result<std::string> ShortText(const std::string& key, const std::string& value, size_t max) {
  if (value.size() > max) return InvalidArgument(key + " is longer than " + std::to_string(max) + " characters");
  for (unsigned char c : value) {
    if (c < 32 || c == 127) return InvalidArgument(key + " contains a control character");
  }
  return value;
}

// "id=BIGINT,zip=VARCHAR". A type is letters, digits, spaces, commas inside
// parentheses (DECIMAL(10,2)) and [] for lists; DuckDB checks the rest.
Result<std::vector<std::pair<std::string, std::string>>> Types(const std::string& value) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= value.size(); ++i) {
    char c = i < value.size() ? value[i] : ',';
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c != ',' || depth > 0) continue;
    std::string item = value.substr(start, i - start);
    start = i + 1;
    auto trim = [](std::string s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
      return s;
    };
    item = trim(item);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return InvalidArgument("types takes COLUMN=TYPE pairs, e.g. id=BIGINT,zip=VARCHAR; got '" + item + "'");
    }
    std::string column = trim(item.substr(0, eq)), type = trim(item.substr(eq + 1));
    LH_RETURN_IF_ERROR(ShortText("a column name in types", column, 256).status());
    for (char t : type) {
      if (!std::isalnum(static_cast<unsigned char>(t)) && t != ' ' && t != '(' && t != ')' && t != ',' &&
          t != '[' && t != ']' && t != '_') {
        return InvalidArgument("'" + type + "' is not a column type (use e.g. BIGINT, VARCHAR, DOUBLE, DATE, DECIMAL(10,2))");
      }
    }
    out.emplace_back(column, type);
  }
  if (depth != 0) return InvalidArgument("types has unbalanced parentheses: '" + value + "'");
  return out;
}

const char* EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kUtf8: return "utf-8";
    case Encoding::kUtf16: return "utf-16";
    case Encoding::kLatin1: return "latin-1";
    case Encoding::kCp1252: return "cp1252";
  }
  return "utf-8";
}

}  // namespace

const std::vector<std::string>& ReaderOptionNames() {
  static const std::vector<std::string> names = {
      "delimiter", "quote",   "escape",      "header",           "skip",      "comment",
      "null",      "null_padding", "encoding", "decimal_separator", "date_format", "timestamp_format",
      "types",     "records", "records_by"};
  return names;
}

std::map<std::string, std::string> ReaderOptions::ToMap() const {
  std::map<std::string, std::string> m;
  if (delimiter) m["delimiter"] = CharText(*delimiter);
  if (quote) m["quote"] = CharText(*quote);
  if (escape) m["escape"] = CharText(*escape);
  if (header) m["header"] = *header ? "true" : "false";
  if (skip) m["skip"] = std::to_string(*skip);
  if (comment) m["comment"] = CharText(*comment);
  if (null_string) m["null"] = *null_string;
  if (null_padding) m["null_padding"] = *null_padding ? "true" : "false";
  if (encoding) m["encoding"] = EncodingName(*encoding);
  if (decimal_separator) m["decimal_separator"] = CharText(*decimal_separator);
  if (date_format) m["date_format"] = *date_format;
  if (timestamp_format) m["timestamp_format"] = *timestamp_format;
  if (!types.empty()) {
    std::string t;
    for (const auto& [c, type] : types) t += (t.empty() ? "" : ",") + c + "=" + type;
    m["types"] = t;
  }
  if (!records.empty()) {
    std::string r;
    for (const auto& k : records) r += (r.empty() ? "" : ".") + k;
    m["records"] = r;
  }
  switch (text_records) {
    case TextRecords::kWhole: break;
    case TextRecords::kParagraph: m["records_by"] = "paragraph"; break;
    case TextRecords::kLine: m["records_by"] = "line"; break;
    case TextRecords::kSeparator: m["records_by"] = "separator:" + text_separator; break;
  }
  return m;
}

Result<ReaderOptions> ReaderOptionsFromMap(const std::map<std::string, std::string>& values, bool strict) {
  ReaderOptions o;
  for (const auto& [key, value] : values) {
    // Checked here, or DuckDB later blames the file for the option's bytes.
    if (!engine::IsValidUtf8(value.data(), value.size())) return InvalidArgument("the value of " + key + " is not valid UTF-8 text");
    if (key == "delimiter") {
      LH_ASSIGN_OR_RETURN(o.delimiter, OneChar(key, value, false));
    } else if (key == "quote") {
      LH_ASSIGN_OR_RETURN(o.quote, OneChar(key, value, true));
    } else if (key == "escape") {
      LH_ASSIGN_OR_RETURN(o.escape, OneChar(key, value, true));
    } else if (key == "header") {
      LH_ASSIGN_OR_RETURN(o.header, Bool(key, value));
    } else if (key == "null_padding") {
      LH_ASSIGN_OR_RETURN(o.null_padding, Bool(key, value));
    } else if (key == "skip") {
      try {
        size_t used = 0;
        int64_t n = std::stoll(value, &used);
        if (used != value.size() || n < 0 || n > 1000000) throw std::out_of_range("skip");
        o.skip = n;
      } catch (const std::exception&) {
        return InvalidArgument("skip must be a number of lines from 0 to 1000000, got '" + value + "'");
      }
    } else if (key == "comment") {
      LH_ASSIGN_OR_RETURN(o.comment, OneChar(key, value, false));
    } else if (key == "null") {
      LH_ASSIGN_OR_RETURN(o.null_string, ShortText(key, value, 64));
    } else if (key == "encoding") {
      std::string v = Lower(value);
      if (v == "utf-8" || v == "utf8") {
        o.encoding = Encoding::kUtf8;
      } else if (v == "utf-16" || v == "utf16") {
        o.encoding = Encoding::kUtf16;
      } else if (v == "latin-1" || v == "latin1" || v == "iso-8859-1") {
        o.encoding = Encoding::kLatin1;
      } else if (v == "cp1252" || v == "windows-1252") {
        o.encoding = Encoding::kCp1252;
      } else {
        return InvalidArgument("encoding '" + value + "' is not supported: use utf-8, utf-16, latin-1 or cp1252");
      }
    } else if (key == "decimal_separator") {
      LH_ASSIGN_OR_RETURN(o.decimal_separator, OneChar(key, value, false));
      if (*o.decimal_separator != '.' && *o.decimal_separator != ',') {
        return InvalidArgument("decimal_separator must be '.' or ','");
      }
    } else if (key == "date_format") {
      LH_ASSIGN_OR_RETURN(o.date_format, ShortText(key, value, 64));
    } else if (key == "timestamp_format") {
      LH_ASSIGN_OR_RETURN(o.timestamp_format, ShortText(key, value, 64));
    } else if (key == "types") {
      LH_ASSIGN_OR_RETURN(o.types, Types(value));
    } else if (key == "records") {
      LH_ASSIGN_OR_RETURN(auto path, ShortText(key, value, 512));
      size_t start = 0;
      for (size_t i = 0; i <= path.size(); ++i) {
        if (i < path.size() && path[i] != '.') continue;
        if (i == start) return InvalidArgument("records is a path of keys like results or data.items, got '" + value + "'");
        o.records.push_back(path.substr(start, i - start));
        start = i + 1;
      }
    } else if (key == "records_by") {
      std::string v = Lower(value);
      if (v == "paragraph") {
        o.text_records = TextRecords::kParagraph;
      } else if (v == "line") {
        o.text_records = TextRecords::kLine;
      } else if (value.rfind("separator:", 0) == 0 && value.size() > 10) {
        o.text_records = TextRecords::kSeparator;
        LH_ASSIGN_OR_RETURN(o.text_separator, ShortText(key, value.substr(10), 64));
      } else {
        return InvalidArgument("records_by must be paragraph, line or separator:TEXT (e.g. separator:%), got '" +
                               value + "'");
      }
    } else if (strict) {
      std::string known;
      for (const auto& n : ReaderOptionNames()) known += (known.empty() ? "" : ", ") + n;
      return InvalidArgument("unknown reader option '" + key + "' (known: " + known + ")");
    }
  }
  if (o.delimiter && o.quote && *o.quote != '\0' && *o.delimiter == *o.quote) {
    return InvalidArgument("the delimiter and the quote must differ");
  }
  if (o.delimiter && o.decimal_separator && *o.delimiter == *o.decimal_separator) {
    return InvalidArgument("the delimiter and the decimal separator must differ (use delimiter ';' with decimal ',')");
  }
  return o;
}

void ApplyFormatName(const std::string& format_name, ReaderOptions& options) {
  if (Lower(format_name) == "tsv" && !options.delimiter) options.delimiter = '\t';
}

std::string CsvReaderSql(const std::string& path, const ReaderOptions& o, char detected_delimiter, bool pad,
                         const std::string& compression) {
  // skip defaults to 0: DuckDB would otherwise "explain" a ragged file by
  // dropping its first lines without a word.
  std::string sql = "read_csv(" + QuoteLiteral(path) + ", auto_detect = true, skip = " + std::to_string(o.skip.value_or(0));
  auto lit = [](char c) { return QuoteLiteral(std::string(1, c)); };
  char delimiter = o.delimiter.value_or(detected_delimiter);
  if (delimiter) sql += ", delim = " + lit(delimiter);
  if (o.quote) sql += ", quote = " + (*o.quote ? lit(*o.quote) : std::string("''"));
  if (o.escape) sql += ", escape = " + (*o.escape ? lit(*o.escape) : std::string("''"));
  if (o.header) sql += std::string(", header = ") + (*o.header ? "true" : "false");
  if (o.comment) sql += ", comment = " + lit(*o.comment);
  if (o.null_string) sql += ", nullstr = " + QuoteLiteral(*o.null_string);
  if (o.null_padding.value_or(pad)) sql += ", null_padding = true";
  if (o.encoding == Encoding::kUtf16) sql += ", encoding = 'utf-16'";
  if (o.encoding == Encoding::kLatin1) sql += ", encoding = 'latin-1'";
  if (o.decimal_separator) sql += ", decimal_separator = " + lit(*o.decimal_separator);
  if (o.date_format) sql += ", dateformat = " + QuoteLiteral(*o.date_format);
  if (o.timestamp_format) sql += ", timestampformat = " + QuoteLiteral(*o.timestamp_format);
  if (!o.types.empty()) {
    std::string t;
    for (const auto& [column, type] : o.types) t += (t.empty() ? "" : ", ") + QuoteLiteral(column) + ": " + QuoteLiteral(type);
    sql += ", types = {" + t + "}";
  }
  if (!compression.empty()) sql += ", compression = " + QuoteLiteral(compression);
  return sql + ")";
}

std::string JsonReaderSql(const std::string& path, const ReaderOptions& o, const std::string& json_format,
                          int typed_depth, const std::string& compression) {
  std::string read = "read_json(" + QuoteLiteral(path) + ", format = " + QuoteLiteral(json_format) +
                     ", maximum_object_size = 67108864, maximum_depth = " + std::to_string(typed_depth);
  if (!compression.empty()) read += ", compression = " + QuoteLiteral(compression);
  read += ")";
  if (o.records.empty()) return read;
  // One row per element of the array at the path; its fields become columns.
  std::string column;
  for (const auto& key : o.records) column += (column.empty() ? "" : ".") + QuoteIdent(key);
  return "(SELECT unnest(" + column + ", max_depth := 2) FROM " + read + ")";
}

}  // namespace lakehouse::ingest
