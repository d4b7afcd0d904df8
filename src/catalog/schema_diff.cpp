#include "catalog/schema_diff.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace lakehouse::catalog {

using nlohmann::json;

namespace {

std::vector<std::string> NameParts(const std::string& name) {
  std::vector<std::string> parts;
  std::string current;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool boundary = c == '_' || c == '-' || c == ' ' || c == '.';
    bool camel = i > 0 && std::isupper(static_cast<unsigned char>(c)) && std::islower(static_cast<unsigned char>(name[i - 1]));
    if ((boundary || camel) && !current.empty()) {
      parts.push_back(current);
      current.clear();
    }
    if (!boundary) current += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

double Jaccard(const std::set<std::string>& a, const std::set<std::string>& b) {
  if (a.empty() || b.empty()) return 0;
  size_t common = 0;
  for (const auto& x : a) common += b.count(x);
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

double NamePartSimilarity(const std::string& a, const std::string& b) {
  auto pa = NameParts(a), pb = NameParts(b);
  return Jaccard({pa.begin(), pa.end()}, {pb.begin(), pb.end()});
}

double EditSimilarity(std::string a, std::string b) {
  std::transform(a.begin(), a.end(), a.begin(), ::tolower);
  std::transform(b.begin(), b.end(), b.begin(), ::tolower);
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  size_t longest = std::max(a.size(), b.size());
  return longest == 0 ? 1 : 1.0 - static_cast<double>(prev[b.size()]) / static_cast<double>(longest);
}

double ValueSimilarity(const ColumnSamples& before, const std::string& a, const ColumnSamples& after,
                       const std::string& b, bool* known) {
  auto ia = before.find(a), ib = after.find(b);
  *known = ia != before.end() && ib != after.end() && !ia->second.empty() && !ib->second.empty();
  if (!*known) return 0;
  return Jaccard({ia->second.begin(), ia->second.end()}, {ib->second.begin(), ib->second.end()});
}

std::string Quote(const std::string& name) { return "\"" + name + "\""; }

}  // namespace

bool SchemaDiff::HasUnresolved() const {
  for (const auto& c : changes) {
    if (c.kind == "added" || c.kind == "removed") return true;
  }
  return false;
}

std::string SchemaDiff::Summary() const {
  std::string out;
  for (const auto& c : changes) {
    if (!out.empty()) out += "; ";
    if (c.kind == "renamed") {
      char conf[16];
      std::snprintf(conf, sizeof conf, "%.2f", c.confidence);
      out += "renamed " + c.old_column + " -> " + c.column + " (" + conf + ")";
    } else if (c.kind == "type_changed") {
      out += "type of " + c.column + " " + c.old_type + " -> " + c.new_type;
    } else {
      out += c.kind + " " + c.column;
    }
  }
  return out.empty() ? "no change" : out;
}

SchemaDiff DiffSchemas(const std::vector<ColumnMeta>& before, const std::vector<ColumnMeta>& after,
                       const ColumnSamples& before_samples, const ColumnSamples& after_samples) {
  SchemaDiff diff;
  std::map<std::string, const ColumnMeta*> old_by_name, new_by_name;
  for (const auto& c : before) old_by_name[c.name] = &c;
  for (const auto& c : after) new_by_name[c.name] = &c;
  std::vector<const ColumnMeta*> removed, added;
  for (const auto& c : before) {
    if (!new_by_name.count(c.name)) removed.push_back(&c);
  }
  for (const auto& c : after) {
    auto it = old_by_name.find(c.name);
    if (it == old_by_name.end()) {
      added.push_back(&c);
    } else if (it->second->type != c.type) {
      diff.changes.push_back({"type_changed", c.name, "", it->second->type, c.type, 1.0,
                              "same name, type " + it->second->type + " -> " + c.type});
      diff.rules.push_back({"cast", {c.name}, {c.name}, "CAST(" + Quote(c.name) + " AS " + c.type + ")", 0.9,
                            "type changed"});
    }
  }
  // Renames: score every removed x added pair, take the best pairs first.
  struct Candidate {
    double score;
    const ColumnMeta* from;
    const ColumnMeta* to;
    std::string reason;
  };
  std::vector<Candidate> candidates;
  for (const auto* r : removed) {
    for (const auto* a : added) {
      double parts = NamePartSimilarity(r->name, a->name);
      double edit = EditSimilarity(r->name, a->name);
      bool known = false;
      double values = ValueSimilarity(before_samples, r->name, after_samples, a->name, &known);
      double type = r->type == a->type ? 1.0 : 0.0;
      double score = known ? 0.25 * parts + 0.15 * edit + 0.5 * values + 0.1 * type
                           : 0.55 * parts + 0.3 * edit + 0.15 * type;
      char why[160];
      std::snprintf(why, sizeof why, "name parts %.2f, edit %.2f, values %s, type %s", parts, edit,
                    known ? std::to_string(values).substr(0, 4).c_str() : "unknown", type ? "same" : "differs");
      candidates.push_back({std::min(score, 1.0), r, a, why});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const auto& x, const auto& y) { return x.score > y.score; });
  std::set<const ColumnMeta*> matched;
  for (const auto& c : candidates) {
    if (c.score < kRenameThreshold || matched.count(c.from) || matched.count(c.to)) continue;
    matched.insert(c.from);
    matched.insert(c.to);
    diff.changes.push_back({"renamed", c.to->name, c.from->name, c.from->type, c.to->type, c.score, c.reason});
    std::string expr = c.from->type == c.to->type ? Quote(c.from->name)
                                                   : "CAST(" + Quote(c.from->name) + " AS " + c.to->type + ")";
    diff.rules.push_back({c.from->type == c.to->type ? "map" : "cast", {c.from->name}, {c.to->name}, expr, c.score,
                          "rename: " + c.reason});
  }
  std::vector<const ColumnMeta*> left_removed, left_added;
  for (const auto* r : removed) {
    if (!matched.count(r)) left_removed.push_back(r);
  }
  for (const auto* a : added) {
    if (!matched.count(a)) left_added.push_back(a);
  }
  // first_name + last_name -> full_name (concat) and the reverse (split):
  // several columns on one side sharing a name part with one on the other.
  std::set<const ColumnMeta*> combined;
  auto shares_part = [](const ColumnMeta* x, const ColumnMeta* y) { return NamePartSimilarity(x->name, y->name) > 0; };
  for (const auto* a : left_added) {
    std::vector<const ColumnMeta*> sources;
    for (const auto* r : left_removed) {
      if (shares_part(r, a) && r->type == "VARCHAR") sources.push_back(r);
    }
    if (sources.size() < 2 || a->type != "VARCHAR") continue;
    MigrationRule rule{"concat", {}, {a->name}, "", 0.6, "old columns share a name part with " + a->name};
    for (const auto* r : sources) {
      rule.from.push_back(r->name);
      rule.expression += (rule.expression.empty() ? "concat_ws(' ', " : ", ") + Quote(r->name);
      combined.insert(r);
    }
    rule.expression += ")";
    combined.insert(a);
    diff.rules.push_back(rule);
  }
  for (const auto* r : left_removed) {
    if (combined.count(r) || r->type != "VARCHAR") continue;
    std::vector<const ColumnMeta*> targets;
    for (const auto* a : left_added) {
      if (!combined.count(a) && shares_part(r, a) && a->type == "VARCHAR") targets.push_back(a);
    }
    if (targets.size() < 2) continue;
    MigrationRule rule{"split", {r->name}, {}, "string_split(" + Quote(r->name) + ", ' ')", 0.5,
                       "new columns share a name part with " + r->name};
    for (const auto* a : targets) {
      rule.to.push_back(a->name);
      combined.insert(a);
    }
    combined.insert(r);
    diff.rules.push_back(rule);
  }
  for (const auto* r : left_removed) {
    diff.changes.push_back({"removed", r->name, "", r->type, "", 1.0, "not in the new data"});
    if (!combined.count(r)) diff.rules.push_back({"drop", {r->name}, {}, "", 1.0, "no new column matches it"});
  }
  for (const auto* a : left_added) {
    diff.changes.push_back({"added", a->name, "", "", a->type, 1.0, "new in this data"});
  }
  return diff;
}

std::string BuildMigrationPrompt(const std::string& dataset, const std::vector<ColumnMeta>& before,
                                 const std::vector<ColumnMeta>& after, const SchemaDiff& diff) {
  auto columns = [](const std::vector<ColumnMeta>& cols) {
    std::string out;
    for (const auto& c : cols) out += "  - " + c.name + " " + c.type + "\n";
    return out;
  };
  return "The dataset \"" + dataset + "\" was re-ingested with a different schema.\n\nOld columns:\n" +
         columns(before) + "\nNew columns:\n" + columns(after) + "\nWhat heuristics found: " + diff.Summary() +
         "\n\nPropose migration rules that turn rows of the old schema into the new one. Answer with JSON "
         "only, in this shape:\n{\"rules\": [{\"kind\": \"map|cast|concat|split|drop\", \"from\": [old columns], "
         "\"to\": [new columns], \"expression\": \"SQL over the old columns\", \"confidence\": 0.0-1.0, "
         "\"reason\": \"why\"}]}\nUse only the column names listed above.\n";
}

Result<std::vector<MigrationRule>> ParseMigrationRules(const std::string& text, const std::vector<ColumnMeta>& before,
                                                       const std::vector<ColumnMeta>& after) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return InvalidArgument("the answer is not JSON");
  if (!j.is_object() || !j.contains("rules") || !j["rules"].is_array()) {
    return InvalidArgument("the answer has no \"rules\" array");
  }
  std::set<std::string> old_names, new_names;
  for (const auto& c : before) old_names.insert(c.name);
  for (const auto& c : after) new_names.insert(c.name);
  static const std::set<std::string> kKinds = {"map", "cast", "concat", "split", "drop"};
  std::vector<MigrationRule> rules;
  for (size_t i = 0; i < j["rules"].size(); ++i) {
    const json& r = j["rules"][i];
    std::string where = "rule " + std::to_string(i + 1);
    if (!r.is_object()) return InvalidArgument(where + " is not an object");
    MigrationRule rule;
    if (!r.contains("kind") || !r["kind"].is_string() || !kKinds.count(r["kind"].get<std::string>())) {
      return InvalidArgument(where + ": kind must be map, cast, concat, split or drop");
    }
    rule.kind = r["kind"];
    for (const char* side : {"from", "to"}) {
      if (!r.contains(side)) continue;
      if (!r[side].is_array()) return InvalidArgument(where + ": " + side + " must be an array of column names");
      for (const auto& name : r[side]) {
        if (!name.is_string()) return InvalidArgument(where + ": " + side + " must hold strings");
        const auto& known = std::string(side) == "from" ? old_names : new_names;
        if (!known.count(name.get<std::string>())) {
          return InvalidArgument(where + ": no " + (std::string(side) == "from" ? "old" : "new") + " column '" +
                                 name.get<std::string>() + "'");
        }
        (std::string(side) == "from" ? rule.from : rule.to).push_back(name.get<std::string>());
      }
    }
    if (rule.from.empty()) return InvalidArgument(where + ": from must name at least one old column");
    if (rule.kind != "drop" && rule.to.empty()) return InvalidArgument(where + ": to must name a new column");
    rule.expression = r.value("expression", "");
    if (!r.contains("confidence") || !r["confidence"].is_number()) {
      return InvalidArgument(where + ": confidence must be a number in 0..1");
    }
    rule.confidence = r["confidence"].get<double>();
    if (rule.confidence < 0 || rule.confidence > 1) return InvalidArgument(where + ": confidence must be in 0..1");
    rule.reason = r.value("reason", "");
    rules.push_back(std::move(rule));
  }
  return rules;
}

namespace {
json RulesToJson(const std::vector<MigrationRule>& rules) {
  json out = json::array();
  for (const auto& r : rules) {
    out.push_back({{"kind", r.kind}, {"from", r.from}, {"to", r.to}, {"expression", r.expression},
                   {"confidence", r.confidence}, {"reason", r.reason}});
  }
  return out;
}
std::vector<MigrationRule> RulesFromJson(const json& list) {
  std::vector<MigrationRule> out;
  if (!list.is_array()) return out;
  for (const auto& r : list) {
    out.push_back({r.value("kind", ""), r.value("from", std::vector<std::string>{}),
                   r.value("to", std::vector<std::string>{}), r.value("expression", ""),
                   r.value("confidence", 1.0), r.value("reason", "")});
  }
  return out;
}
}  // namespace

json SchemaDiffToJson(const SchemaDiff& diff) {
  json changes = json::array();
  for (const auto& c : diff.changes) {
    changes.push_back({{"kind", c.kind}, {"column", c.column}, {"old_column", c.old_column}, {"old_type", c.old_type},
                       {"new_type", c.new_type}, {"confidence", c.confidence}, {"reason", c.reason}});
  }
  return {{"changes", changes}, {"rules", RulesToJson(diff.rules)}, {"llm_rules", RulesToJson(diff.llm_rules)},
          {"llm_status", diff.llm_status}, {"summary", diff.Summary()}};
}

SchemaDiff SchemaDiffFromJson(const json& j) {
  SchemaDiff diff;
  if (!j.is_object()) return diff;
  for (const auto& c : j.value("changes", json::array())) {
    diff.changes.push_back({c.value("kind", ""), c.value("column", ""), c.value("old_column", ""),
                            c.value("old_type", ""), c.value("new_type", ""), c.value("confidence", 1.0),
                            c.value("reason", "")});
  }
  diff.rules = RulesFromJson(j.value("rules", json::array()));
  diff.llm_rules = RulesFromJson(j.value("llm_rules", json::array()));
  diff.llm_status = j.value("llm_status", "");
  return diff;
}

}  // namespace lakehouse::catalog
