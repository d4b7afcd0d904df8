#include "vector/eval/eval_store.h"

#include <nlohmann/json.hpp>

#include "common/names.h"

namespace lakehouse::vector::eval {

namespace {

std::string SetKey(const std::string& index, const std::string& name) {
  return EvalSetsKey(index) + name + ".json";
}

Result<EvalSet> FromJson(const std::string& bytes, const std::string& name) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object() || !j.contains("queries") || !j["queries"].is_array()) {
    return Internal("eval set '" + name + "' is damaged (not the JSON this server writes); drop it and add it again");
  }
  EvalSet set;
  set.name = name;
  for (const auto& q : j["queries"]) {
    if (!q.is_object() || !q.contains("text") || !q["text"].is_string()) {
      return Internal("eval set '" + name + "' is damaged (a query without text); drop it and add it again");
    }
    EvalQuery query;
    query.id = q.value("id", "");
    query.text = q["text"].get<std::string>();
    if (q.contains("relevant") && q["relevant"].is_object()) {
      for (const auto& [doc, grade] : q["relevant"].items()) {
        if (grade.is_number_integer()) query.relevant[doc] = grade.get<int>();
      }
    }
    set.queries.push_back(std::move(query));
  }
  return set;
}

}  // namespace

nlohmann::json EvalSetToJson(const EvalSet& set) {
  nlohmann::json queries = nlohmann::json::array();
  for (const auto& q : set.queries) {
    nlohmann::json relevant = nlohmann::json::object();
    for (const auto& [doc, grade] : q.relevant) relevant[doc] = grade;
    queries.push_back({{"id", q.id}, {"text", q.text}, {"relevant", relevant}});
  }
  return {{"name", set.name}, {"queries", queries}};
}

std::string EvalSetsKey(const std::string& index) { return "vectors/" + index + "/evalsets/"; }

Status SaveEvalSet(storage::ObjectStore& store, const std::string& index, const EvalSet& set, bool replace) {
  LH_RETURN_IF_ERROR(ValidateName(set.name, "eval set name"));
  if (set.queries.empty()) return InvalidArgument("the eval set has no queries");
  std::string key = SetKey(index, set.name);
  if (!replace && store.Stat(key).ok()) {
    return Conflict("index '" + index + "' already has an eval set '" + set.name +
                    "'; drop it first, or replace it (--replace; \"replace\": true over HTTP)");
  }
  return store.Put(key, EvalSetToJson(set).dump());
}

Result<EvalSet> LoadEvalSet(const storage::ObjectStore& store, const std::string& index, const std::string& name) {
  LH_RETURN_IF_ERROR(ValidateName(name, "eval set name"));
  auto bytes = store.Get(SetKey(index, name));
  if (!bytes.ok()) {
    return NotFound("index '" + index + "' has no eval set '" + name +
                    "' (GET /vectors/indexes/" + index + "/evalsets or `lakehouse index evalset list " + index +
                        "` lists them)");
  }
  return FromJson(*bytes, name);
}

std::vector<EvalSetInfo> ListEvalSets(const storage::ObjectStore& store, const std::string& index) {
  std::vector<EvalSetInfo> out;
  auto listed = store.List(EvalSetsKey(index));
  if (!listed.ok()) return out;
  for (const auto& object : *listed) {
    std::string file = object.key.substr(EvalSetsKey(index).size());
    if (file.size() < 6 || file.compare(file.size() - 5, 5, ".json") != 0) continue;
    std::string name = file.substr(0, file.size() - 5);
    if (!ValidateName(name, "eval set name").ok()) continue;
    EvalSetInfo info{name, 0, 0};
    if (auto set = LoadEvalSet(store, index, name); set.ok()) {
      info.queries = set->queries.size();
      for (const auto& q : set->queries) info.labelled += !q.relevant.empty();
    }
    out.push_back(std::move(info));
  }
  return out;
}

Status DropEvalSet(storage::ObjectStore& store, const std::string& index, const std::string& name) {
  LH_RETURN_IF_ERROR(ValidateName(name, "eval set name"));
  std::string key = SetKey(index, name);
  if (!store.Stat(key).ok()) return NotFound("index '" + index + "' has no eval set '" + name + "'");
  return store.Delete(key);
}

}  // namespace lakehouse::vector::eval
