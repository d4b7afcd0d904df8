#include "ingest/format.h"

#include "ingest/decoded_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <vector>


namespace lakehouse::ingest {

namespace {

constexpr size_t kSniffBytes = 64 * 1024;

std::string Extension(std::string_view file_name) {
  auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "";
  std::string ext(file_name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

std::string_view SkipBomAndSpace(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

std::vector<std::string_view> CompleteLines(std::string_view head, bool whole_file) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find('\n', start);
    if (end == std::string_view::npos) {
      if (whole_file) lines.push_back(head.substr(start));
      break;
    }
    std::string_view line = head.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

// A delimiter that appears the same (non-zero) number of times on most lines
// outside quotes makes the text a table.
char DelimiterOf(const std::vector<std::string_view>& lines) {
  if (lines.size() < 2) return 0;
  for (char delim : {',', '\t', ';', '|'}) {
    std::map<int, int> counts_per_line;
    for (size_t i = 0; i < std::min<size_t>(lines.size(), 50); ++i) {
      int count = 0;
      bool quoted = false;
      for (char c : lines[i]) {
        if (c == '"') quoted = !quoted;
        if (c == delim && !quoted) ++count;
      }
      counts_per_line[count]++;
    }
    auto best = std::max_element(counts_per_line.begin(), counts_per_line.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    size_t sampled = std::min<size_t>(lines.size(), 50);
    if (best->first > 0 && best->second * 10 >= static_cast<int>(sampled) * 9) return delim;
  }
  return 0;
}

bool HasBinaryBytes(std::string_view head) {
  size_t control = 0;
  for (unsigned char c : head) {
    if (c == 0) return true;
    if (c < 32 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++control;
  }
  return control * 100 > head.size() + 1;
}

}  // namespace

const char* FormatName(Format format) {
  switch (format) {
    case Format::kCsv: return "csv";
    case Format::kJsonArray: return "json";
    case Format::kNdjson: return "ndjson";
    case Format::kParquet: return "parquet";
    case Format::kText: return "text";
    case Format::kPdf: return "pdf";
  }
  return "unknown";
}

Result<Format> ParseFormat(std::string_view name) {
  for (Format f : {Format::kCsv, Format::kJsonArray, Format::kNdjson, Format::kParquet,
                   Format::kText, Format::kPdf}) {
    if (name == FormatName(f)) return f;
  }
  if (name == "tsv") return Format::kCsv;
  return InvalidArgument("unknown format '" + std::string(name) +
                         "'; use csv, tsv, json, ndjson, parquet, text or pdf");
}

bool IsUtf16Le(std::string_view head) { return head.size() >= 2 && head.substr(0, 2) == "\xFF\xFE"; }
bool IsUtf16Be(std::string_view head) { return head.size() >= 2 && head.substr(0, 2) == "\xFE\xFF"; }

namespace {

// Enough of UTF-16LE text to tell its format and delimiter: each code unit
// below 0x80 as itself, others as a letter.
std::string NarrowUtf16Le(std::string_view head) {
  std::string out;
  for (size_t i = 2; i + 1 < head.size(); i += 2) {
    unsigned char low = static_cast<unsigned char>(head[i]), high = static_cast<unsigned char>(head[i + 1]);
    out += high == 0 && low < 0x80 ? static_cast<char>(low) : 'x';
  }
  return out;
}

}  // namespace

Result<Format> DetectFormatFromPrefix(std::string_view head, std::string_view file_name, bool whole_file) {
  if (head.empty()) return InvalidArgument("the file is empty");
  if (IsUtf16Le(head)) return DetectFormatFromPrefix(NarrowUtf16Le(head), file_name, whole_file);
  if (IsUtf16Be(head)) {
    return InvalidArgument("the file is UTF-16 big-endian text; convert it to UTF-8 first, e.g. "
                           "iconv -f UTF-16BE -t UTF-8 FILE > FILE.utf8");
  }
  if (head.substr(0, 5) == "%PDF-") return Format::kPdf;
  if (head.substr(0, 4) == "PAR1") return Format::kParquet;
  if (HasBinaryBytes(head)) {
    return InvalidArgument("the file looks binary and is not PDF or Parquet; supported formats are "
                           "CSV, TSV, JSON, NDJSON, Parquet, plain text and PDF");
  }
  std::string ext = Extension(file_name);
  std::string_view body = SkipBomAndSpace(head);
  if (body.empty()) return InvalidArgument("the file holds only white space");
  if (body.front() == '[' && ext != "csv" && ext != "txt") return Format::kJsonArray;
  if (body.front() == '{' && ext != "csv" && ext != "txt") return Format::kNdjson;
  if (ext == "csv" || ext == "tsv" || ext == "tab") return Format::kCsv;
  if (ext == "txt" || ext == "md" || ext == "text") return Format::kText;
  return DelimiterOf(CompleteLines(body, whole_file)) ? Format::kCsv : Format::kText;
}

char DetectDelimiter(const std::filesystem::path& path) {
  std::string head = ReadHead(path);
  bool whole_file = head.size() < kSniffBytes;
  if (IsUtf16Le(head)) head = NarrowUtf16Le(head);
  return DetectDelimiterInHead(head, whole_file);
}

char DetectDelimiterInHead(std::string_view head, bool whole_file) {
  auto lines = CompleteLines(SkipBomAndSpace(head), whole_file);
  // Comment lines above the table (tzdata's zone.tab) say nothing of it.
  std::erase_if(lines, [](std::string_view l) { return !l.empty() && l.front() == '#'; });
  if (char agreed = DelimiterOf(lines)) return agreed;
  // The lines disagree (a ragged file): trust the header, so DuckDB reports
  // the bad line instead of reading everything as one column.
  if (lines.empty()) return 0;
  char best = 0;
  int best_count = 0;
  for (char delim : {',', '\t', ';', '|'}) {
    int count = 0;
    bool quoted = false;
    for (char c : lines[0]) {
      if (c == '"') quoted = !quoted;
      if (c == delim && !quoted) ++count;
    }
    if (count > best_count) {
      best = delim;
      best_count = count;
    }
  }
  return best;
}

Compression DetectCompression(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), 4);
  if (in.gcount() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return Compression::kGzip;
  if (in.gcount() == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
    return Compression::kZstd;
  }
  // A skippable frame (0x184D2A50..5F, little endian) opens what pzstd and
  // zstd -T write.
  if (in.gcount() == 4 && (magic[0] & 0xF0) == 0x50 && magic[1] == 0x2a && magic[2] == 0x4d && magic[3] == 0x18) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "";
}

std::string ReadHead(const std::filesystem::path& path) { return ReadDecodedHead(path, kSniffBytes); }

bool IsJsonDocument(std::string_view head) {
  std::string_view body = SkipBomAndSpace(head);
  if (body.empty() || body.front() != '{') return false;
  size_t end = body.find('\n');
  std::string_view first = body.substr(0, end);
  while (!first.empty() && std::isspace(static_cast<unsigned char>(first.back()))) first.remove_suffix(1);
  // NDJSON's first record closes on its first line.
  return end != std::string_view::npos && (first.empty() || first.back() != '}');
}

Result<Format> DetectFormat(const std::filesystem::path& path, std::string_view file_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path.string());
  Compression compression = DetectCompression(path);
  std::string inner(file_name);
  for (const char* suffix : {".gz", ".gzip", ".zst"}) {
    std::string ext = Extension(inner);
    if (inner.size() > ext.size() + 1 && "." + ext == suffix) inner.resize(inner.size() - ext.size() - 1);
  }
  std::string head = ReadHead(path);
  if (compression != Compression::kNone && head.empty()) {
    return InvalidArgument(std::string("the ") + CompressionName(compression) + " file is damaged or empty");
  }
  bool whole_file = head.size() < kSniffBytes;
  return DetectFormatFromPrefix(head, inner, whole_file);
}

}  // namespace lakehouse::ingest
