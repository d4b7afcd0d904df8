#include "engine/sql_reads.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::engine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Table functions that take numbers or values, never a path: computed
// arguments are fine there (range(1000 * 1000)).
constexpr std::string_view kValueFunctions[] = {"range", "generate_series", "unnest", "json_each", "json_tree"};

// A string field, or "" (DuckDB's tree uses "type" both for names and for objects).
std::string Str(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Literals as DuckDB keeps them: VARCHAR values, alone or inside a list.
void CollectStrings(const json& value, std::vector<std::string>& out) {
  if (value.is_array()) {
    for (const auto& v : value) CollectStrings(v, out);
    return;
  }
  if (!value.is_object()) return;
  auto type = value.find("type");
  auto inner = value.find("value");
  if (type != value.end() && type->is_object() && Str(*type, "id") == "VARCHAR" && inner != value.end() &&
      inner->is_string()) {
    out.push_back(inner->get<std::string>());
    return;
  }
  for (const auto& [key, v] : value.items()) CollectStrings(v, out);
}

// An argument whose value is known before DuckDB binds it.
bool WrittenOut(const json& e) {
  if (!e.is_object()) return false;
  std::string cls = Str(e, "class");
  if (cls == "CONSTANT") return true;
  if (cls == "CAST") {
    // To a scalar type: a cast to a list or struct parses text the check saw as one name.
    std::string to = e.contains("cast_type") && e["cast_type"].is_object() ? Str(e["cast_type"], "id") : "";
    if (to == "LIST" || to == "ARRAY" || to == "STRUCT" || to == "MAP" || to == "UNION" || to.empty()) return false;
    return e.contains("child") && e["child"].is_object() && Str(e["child"], "class") == "CONSTANT";
  }
  // A column, as a table macro takes it (histogram(t, col)); a file-reading
  // function refuses columns when DuckDB binds it.
  if (cls == "COLUMN_REF") return true;
  if (cls == "COMPARISON") {
    // name = value, a named parameter
    return Str(e, "type") == "COMPARE_EQUAL" && e.contains("left") && e["left"].is_object() &&
           Str(e["left"], "class") == "COLUMN_REF" && e.contains("right") && WrittenOut(e["right"]);
  }
  if (cls == "FUNCTION") {
    std::string name = Str(e, "function_name");
    if (name != "list_value" && name != "struct_pack" && name != "row" && name != "map") return false;
    if (!e.contains("children") || !e["children"].is_array()) return false;
    return std::all_of(e["children"].begin(), e["children"].end(), WrittenOut);
  }
  return false;
}

Status Walk(const json& node, SqlReads& reads) {
  if (node.is_array()) {
    for (const auto& v : node) LH_RETURN_IF_ERROR(Walk(v, reads));
    return Status::Ok();
  }
  if (!node.is_object()) return Status::Ok();
  if (Str(node, "class") == "CONSTANT" && node.contains("value")) {
    CollectStrings(node["value"], reads.literals);
    return Status::Ok();
  }
  if (auto name = node.find("table_name"); name != node.end() && name->is_string() && !name->get<std::string>().empty()) {
    std::string table = name->get<std::string>(), schema = Str(node, "schema_name"), catalog = Str(node, "catalog_name");
    // SHOW TABLES and SHOW DATABASES name their listing this way ("\"tables\""),
    // not a table; what SHOW or DESCRIBE looks at comes as a query below it.
    if (Str(node, "type") != "SHOW_REF") {
      reads.tables.push_back(table);
      reads.refs.push_back({catalog, schema, table});
    }
    // FROM 'file.parquet' scans the file; a qualified name is a file's name
    // too, its parts joined by dots ("/d/x"."parquet" reads /d/x.parquet).
    reads.literals.push_back(table);
    if (!schema.empty()) reads.literals.push_back(schema + "." + table);
    if (!catalog.empty()) reads.literals.push_back(catalog + "." + schema + "." + table);
  }
  if (Str(node, "type") == "TABLE_FUNCTION" && node.contains("function") && node["function"].is_object()) {
    const json& fn = node["function"];
    std::string name = Str(fn, "function_name");
    reads.functions.push_back(AsciiLower(name));
    if (name == "query" || name == "query_table") {
      return InvalidArgument(name + "() is not allowed: write the query itself, or name the dataset in FROM");
    }
    bool values_only = std::find(std::begin(kValueFunctions), std::end(kValueFunctions), name) != std::end(kValueFunctions);
    if (!values_only && fn.contains("children") && fn["children"].is_array()) {
      for (const auto& arg : fn["children"]) {
        if (!WrittenOut(arg)) {
          return InvalidArgument("the arguments of " + name +
                                 "() must be written out as literals ('path', ['a', 'b'], name = value): a computed "
                                 "file name cannot be checked before it is read");
        }
      }
    }
  }
  if (auto ctes = node.find("cte_map"); ctes != node.end() && ctes->is_object() && ctes->contains("map") &&
                                        (*ctes)["map"].is_array()) {
    for (const auto& entry : (*ctes)["map"]) {
      if (entry.is_object() && entry.contains("key") && entry["key"].is_string()) {
        reads.ctes.push_back(entry["key"].get<std::string>());
      }
    }
  }
  for (const auto& [key, v] : node.items()) LH_RETURN_IF_ERROR(Walk(v, reads));
  return Status::Ok();
}

bool IsPattern(const std::string& part) { return part.find_first_of("*?[{") != std::string::npos; }

// The literal as an absolute path, its ".." left in.
fs::path WrittenPath(std::string literal) {
  if (literal.rfind("file://", 0) == 0) literal = literal.substr(7);
  if (literal == "~" || literal.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    literal = std::string(home ? home : "") + literal.substr(1);
  }
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(literal), ec);
  return ec ? fs::path() : p;
}



bool Below(const fs::path& root, const fs::path& path) {
  fs::path rel = path.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

Status Refuse(const std::string& literal) {
  return PermissionDenied("'" + literal +
                          "' is, or lies in, a symbolic link inside a bucket, which lakehouse never writes, and SQL "
                          "does not follow it; remove the link (the server also removes links when it starts)");
}

}  // namespace

Result<SqlReads> ReadsOfSerializedSql(const std::string& text) {
  json tree = json::parse(text, nullptr, false);
  if (tree.is_discarded() || !tree.is_object()) return Internal("the query's parse tree is not JSON");
  if (auto error = tree.find("error"); error == tree.end() || !error->is_boolean() || error->get<bool>()) {
    std::string why = Str(tree, "error_message");
    SqlReads unknown;
    unknown.not_analysed = "lakehouse cannot tell which files this query reads (" +
                           (why.empty() ? std::string("it could not be analysed") : why) + "); name datasets in FROM";
    return unknown;
  }
  SqlReads reads;
  if (auto statements = tree.find("statements"); statements != tree.end()) LH_RETURN_IF_ERROR(Walk(*statements, reads));
  return reads;
}

std::vector<std::string> QuotedLiterals(const std::string& sql) {
  std::vector<std::string> out;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '\'') continue;
    std::string literal;
    for (++i; i < sql.size(); ++i) {
      if (sql[i] == '\'' && i + 1 < sql.size() && sql[i + 1] == '\'') {
        literal += '\'';
        ++i;
      } else if (sql[i] == '\'') {
        break;
      } else {
        literal += sql[i];
      }
    }
    out.push_back(std::move(literal));
  }
  return out;
}

Status CheckNoLinks(const std::vector<std::string>& literals, const std::vector<fs::path>& roots) {
  // Enough for any bucket we have seen; a walk past it is refused rather than cut short.
  constexpr size_t kMaxEntriesWalked = 200000;
  for (const auto& literal : literals) {
    fs::path written = WrittenPath(literal);
    if (written.empty()) continue;
    fs::path path = written.lexically_normal();  // as DuckDB's local file system resolves it
    // The kernel applies ".." after following a link; a path that climbs
    // out of a folder inside a bucket is judged as written, and refused.
    fs::path before_climb;
    for (const auto& part : written) {
      if (part == "..") break;
      before_climb /= part;
    }
    const bool climbs = before_climb != written;
    before_climb = before_climb.lexically_normal();
    for (const auto& root : roots) {
      fs::path normal_root = root.lexically_normal();
      if (climbs && (Below(normal_root, before_climb) || before_climb == normal_root)) {
        return PermissionDenied("'" + literal + "' climbs out of a folder in a bucket (..); name the file by its own path");
      }
      if (!Below(normal_root, path) && path != normal_root) continue;
      std::error_code link_error;
      if (fs::is_symlink(normal_root, link_error)) return Refuse(literal);
      // The folder a pattern starts from: what comes before its first wildcard.
      fs::path fixed = normal_root;
      bool pattern = false;
      for (const auto& part : path.lexically_relative(normal_root)) {
        if (IsPattern(part.string())) {
          pattern = true;
          break;
        }
        if (part != ".") fixed /= part;
      }
      if (!FirstLinkBelow(normal_root, fixed).empty()) return Refuse(literal);
      if (!pattern) continue;
      std::error_code ec;
      size_t walked = 0;
      for (fs::recursive_directory_iterator it(fixed, fs::directory_options::skip_permission_denied, ec), end;
           !ec && it != end; it.increment(ec)) {
        if (it->is_symlink(ec)) return Refuse(literal);
        if (++walked > kMaxEntriesWalked) {
          return PermissionDenied("'" + literal + "' matches more than " + std::to_string(kMaxEntriesWalked) +
                                  " files and folders to check; narrow the pattern, or name the dataset in FROM");
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace lakehouse::engine
