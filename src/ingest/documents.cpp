#include "ingest/documents.h"

#include "ingest/decoded_file.h"


#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/files.h"

namespace lakehouse::ingest {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::string_view line) { return Trim(line).empty(); }

std::string JsonLine(const nlohmann::ordered_json& row) {
  return row.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// poppler prints parse errors of damaged PDFs to stderr; they belong in the debug log.
void RoutePopplerErrors() {
  static const bool routed = [] {
    poppler::set_debug_error_function(
        [](const std::string& message, void*) { spdlog::debug("poppler: {}", message); }, nullptr);
    return true;
  }();
  (void)routed;
}

}  // namespace

std::vector<std::string> SplitParagraphs(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (IsBlank(line)) {
      if (!Trim(current).empty()) out.emplace_back(Trim(current));
      current.clear();
    } else {
      if (!current.empty()) current += '\n';
      current += line;
    }
    start = end + 1;
  }
  if (!Trim(current).empty()) out.emplace_back(Trim(current));
  return out;
}

std::vector<std::string> SplitRecords(std::string_view text, TextRecords mode, const std::string& separator) {
  if (mode == TextRecords::kWhole || mode == TextRecords::kParagraph) return SplitParagraphs(text);
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!Trim(current).empty()) out.emplace_back(Trim(current));
    current.clear();
  };
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (mode == TextRecords::kLine) {
      current = std::string(line);
      flush();
    } else if (Trim(line) == separator) {
      flush();
    } else {
      if (!current.empty()) current += '\n';
      current += line;
    }
  }
  flush();
  return out;
}

Result<int64_t> TextToNdjson(const fs::path& input, const std::string& doc_id, const fs::path& output,
                             TextRecords mode, const std::string& separator) {
  std::string text;
  LH_RETURN_IF_ERROR(ForEachDecodedChunk(input, [&](std::string_view bytes) {
    text.append(bytes);
    return true;
  }));
  std::vector<std::string> records = SplitRecords(text, mode, separator);
  if (records.empty()) return InvalidArgument("the text file has no text");
  const char* column = mode == TextRecords::kLine ? "line" : mode == TextRecords::kSeparator ? "record" : "paragraph";
  std::string ndjson;
  for (size_t i = 0; i < records.size(); ++i) {
    ndjson += JsonLine({{"doc_id", doc_id}, {column, i + 1}, {"text", records[i]}, {"source", doc_id}});
  }
  LH_RETURN_IF_ERROR(AtomicWriteFile(output, ndjson));
  return static_cast<int64_t>(records.size());
}

Result<int64_t> PdfToNdjson(const fs::path& input, const std::string& doc_id, const fs::path& output) {
  RoutePopplerErrors();
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(input.string()));
  if (!doc) return InvalidArgument("the PDF cannot be read (damaged or not a PDF)");
  if (doc->is_locked()) return InvalidArgument("the PDF is password-protected; remove the password and retry");
  int pages = doc->pages();
  if (pages <= 0) return InvalidArgument("the PDF has no pages");
  std::string ndjson;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    std::string text;
    if (page) {
      poppler::byte_array utf8 = page->text().to_utf8();
      text.assign(utf8.begin(), utf8.end());
    }
    ndjson += JsonLine({{"doc_id", doc_id}, {"page", i + 1}, {"text", std::string(Trim(text))}, {"source", doc_id}});
  }
  LH_RETURN_IF_ERROR(AtomicWriteFile(output, ndjson));
  return static_cast<int64_t>(pages);
}

}  // namespace lakehouse::ingest
