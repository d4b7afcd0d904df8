#include "ingest/nesting.h"

#include "ingest/decoded_file.h"


#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace lakehouse::ingest {

bool JsonDepthScanner::Feed(std::string_view bytes) {
  if (exceeded_) return false;
  for (char c : bytes) {
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      } else if (c == '\n') {
        ++line_;  // invalid JSON, but keep the line count right for NDJSON errors
      }
      continue;
    }
    switch (c) {
      case '"': in_string_ = true; break;
      case '\n': ++line_; break;
      case '[':
      case '{':
        if (++depth_ > max_depth_) max_depth_ = depth_;
        if (depth_ > limit_) {
          exceeded_ = true;
          return false;
        }
        break;
      case ']':
      case '}':
        if (depth_ > 0) --depth_;
        break;
      default: break;
    }
  }
  return true;
}

Status CheckJsonDepth(const std::filesystem::path& file, std::string_view file_name, int limit) {
  JsonDepthScanner scanner(limit);
  Status read = ForEachDecodedChunk(file, [&](std::string_view bytes) { return scanner.Feed(bytes); });
  if (read.code() == StatusCode::kInvalidArgument) {
    return InvalidArgument("cannot read " + std::string(file_name) + ": " + read.message());
  }
  LH_RETURN_IF_ERROR(read);
  if (scanner.exceeded()) {
    return InvalidArgument("cannot read " + std::string(file_name) + ": its JSON nests deeper than " +
                           std::to_string(limit) + " levels (line " + std::to_string(scanner.line()) +
                           "); lakehouse reads JSON nested up to " + std::to_string(limit) +
                           " levels ([ingest] max_json_depth)");
  }
  return Status::Ok();
}

int TypeNestingDepth(std::string_view type) {
  // Iterative (a hostile Parquet schema can nest thousands of levels): a
  // stack holds, for each open STRUCT/MAP/UNION, the deepest child so far;
  // `last` is the depth of the element just read, [] suffixes included.
  std::vector<int> open;
  int root = 0, last = 0;
  std::string_view word;
  auto report = [&] {
    int& into = open.empty() ? root : open.back();
    into = std::max(into, last);
    last = 0;
  };
  for (size_t i = 0; i < type.size(); ++i) {
    char c = type[i];
    if (c == '"') {  // a quoted field name; "" escapes a quote
      for (++i; i < type.size(); ++i) {
        if (type[i] != '"') continue;
        if (i + 1 < type.size() && type[i + 1] == '"') {
          ++i;
        } else {
          break;
        }
      }
      word = {};
      last = 0;
    } else if (c == '(') {
      if (word == "STRUCT" || word == "MAP" || word == "UNION") {
        open.push_back(0);
      } else {
        // Parameters (DECIMAL(18,2), ENUM('a', 'b)')): skipped, quotes respected.
        bool in_literal = false;
        for (++i; i < type.size(); ++i) {
          if (type[i] == '\'') in_literal = !in_literal;
          if (type[i] == ')' && !in_literal) break;
        }
      }
      word = {};
    } else if (c == ')') {
      report();
      if (!open.empty()) {
        last = open.back() + 1;
        open.pop_back();
      }
      word = {};
    } else if (c == ',') {
      report();
      word = {};
    } else if (c == '[') {
      size_t close = type.find(']', i);
      i = close == std::string_view::npos ? type.size() : close;
      ++last;
      word = {};
    } else if (c == ' ') {
      word = {};
    } else {
      size_t start = i;
      while (i + 1 < type.size() && std::string_view(" ,()[]\"").find(type[i + 1]) == std::string_view::npos) ++i;
      word = type.substr(start, i - start + 1);
      last = 0;
    }
  }
  report();
  return root;
}

Status CheckTypeDepth(std::string_view column, std::string_view duckdb_type) {
  int depth = TypeNestingDepth(duckdb_type);
  if (depth <= kMaxTypeDepth) return Status::Ok();
  return InvalidArgument("column '" + std::string(column.substr(0, 64)) + "' nests " + std::to_string(depth) +
                         " levels deep; lakehouse stores columns nested up to " + std::to_string(kMaxTypeDepth) +
                         " levels (store deeper values as JSON text)");
}

int ParquetSchemaDepth(const std::vector<int64_t>& num_children) {
  std::vector<int64_t> remaining;  // children still to come, per open group
  int max_depth = 0;
  for (int64_t children : num_children) {
    max_depth = std::max(max_depth, static_cast<int>(remaining.size()));
    if (!remaining.empty()) --remaining.back();
    if (children > 0) remaining.push_back(children);
    while (!remaining.empty() && remaining.back() <= 0) remaining.pop_back();
  }
  return max_depth;
}

}  // namespace lakehouse::ingest
