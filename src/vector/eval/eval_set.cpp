#include "vector/eval/eval_set.h"

#include "vector/search_mode.h"

#include <charconv>
#include <map>

#include <nlohmann/json.hpp>

namespace lakehouse::vector::eval {

namespace {

// Lines without their end-of-line, with their 1-based number; blank ones skipped.
template <typename Fn>
Status ForEachLine(std::string_view text, Fn&& fn) {
  size_t number = 0, start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    if (line.find_first_not_of(" \t") != std::string_view::npos) LH_RETURN_IF_ERROR(fn(line, number));
    if (end == text.size()) break;
    start = end + 1;
  }
  return Status::Ok();
}

bool IsJsonLines(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

Status LineError(const char* file, size_t line, const std::string& what) {
  return InvalidArgument(std::string(file) + " line " + std::to_string(line) + ": " + what);
}

std::string JsonId(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return "";
  if (j[key].is_string()) return j[key].get<std::string>();
  if (j[key].is_number_integer()) return std::to_string(j[key].get<int64_t>());
  return "";
}

}  // namespace

std::string CorpusTsvAsCsv(std::string_view tsv) {
  std::string csv = "doc_id,answer\n";
  (void)ForEachLine(tsv, [&](std::string_view line, size_t) {
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return Status::Ok();
    csv += std::string(line.substr(0, tab)) + ",\"";
    for (char c : line.substr(tab + 1)) csv += c == '"' ? std::string("\"\"") : std::string(1, c);
    csv += "\"\n";
    return Status::Ok();
  });
  return csv;
}

bool EvalSet::Labelled() const {
  for (const auto& q : queries) {
    for (const auto& [doc, grade] : q.relevant) {
      if (grade > 0) return true;
    }
  }
  return false;
}

Result<EvalSet> ParseBeir(std::string name, std::string_view queries, std::string_view qrels) {
  EvalSet set;
  set.name = std::move(name);
  std::map<std::string, size_t> index;
  bool json_queries = IsJsonLines(queries);
  LH_RETURN_IF_ERROR(ForEachLine(queries, [&](std::string_view line, size_t number) -> Status {
    EvalQuery q;
    if (json_queries) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) return LineError("queries", number, "not a JSON object");
      q.id = JsonId(j, "_id");
      if (j.contains("text") && j["text"].is_string()) q.text = j["text"].get<std::string>();
    } else {
      auto fields = Fields(line);
      if (fields.size() < 2) return LineError("queries", number, "expected query_id<TAB>text");
      q.id = std::string(fields[0]);
      q.text = std::string(line.substr(fields[0].size() + 1));
    }
    if (q.id.empty()) return LineError("queries", number, "the query has no id");
    if (q.text.find_first_not_of(" \t") == std::string::npos) {
      return LineError("queries", number, "query '" + q.id + "' has no text");
    }
    if (index.count(q.id)) return LineError("queries", number, "query id '" + q.id + "' appears twice");
    if (q.text.size() > kMaxQueryBytes) {
      return LineError("queries", number, "query '" + q.id + "' is longer than " + std::to_string(kMaxQueryBytes) + " bytes");
    }
    index[q.id] = set.queries.size();
    set.queries.push_back(std::move(q));
    return Status::Ok();
  }));
  if (set.queries.empty()) return InvalidArgument("the eval set has no queries");
  bool json_qrels = IsJsonLines(qrels);
  LH_RETURN_IF_ERROR(ForEachLine(qrels, [&](std::string_view line, size_t number) -> Status {
    std::string query, doc;
    int64_t grade = 0;
    if (json_qrels) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) return LineError("qrels", number, "not a JSON object");
      query = JsonId(j, "query-id");
      doc = JsonId(j, "corpus-id");
      if (!j.contains("score") || !j["score"].is_number_integer()) {
        return LineError("qrels", number, "\"score\" must be an integer grade");
      }
      grade = j["score"].get<int64_t>();
    } else {
      auto fields = Fields(line);
      // BEIR's TSV may carry a header (query-id, corpus-id, score), and TREC's
      // four columns (query, 0, doc, grade).
      if (number == 1 && !fields.empty() && fields[0] == "query-id") return Status::Ok();
      if (fields.size() == 4) fields.erase(fields.begin() + 1);
      if (fields.size() != 3) return LineError("qrels", number, "expected query_id<TAB>doc_id<TAB>grade");
      query = std::string(fields[0]);
      doc = std::string(fields[1]);
      auto [end, error] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), grade);
      if (error != std::errc() || end != fields[2].data() + fields[2].size()) {
        return LineError("qrels", number, "the grade '" + std::string(fields[2]) + "' is not an integer");
      }
    }
    if (query.empty() || doc.empty()) return LineError("qrels", number, "a query id and a doc id are required");
    if (grade < 0 || grade > 100) return LineError("qrels", number, "grades go from 0 to 100");
    auto it = index.find(query);
    if (it == index.end()) return LineError("qrels", number, "no query '" + query + "' in the queries");
    set.queries[it->second].relevant[doc] = static_cast<int>(grade);
    return Status::Ok();
  }));
  return set;
}

}  // namespace lakehouse::vector::eval
