#include "server/http_util.h"
#include "server/json_views.h"
#include "server/routes.h"

namespace lakehouse::server {

using nlohmann::json;

namespace {

Result<catalog::MetadataPatch> ParsePatch(const json& body) {
  static const std::set<std::string> kKnown = {"description", "owner", "sensitivity", "tags",
                                               "freshness", "expected_update_interval_s",
                                               "schema_policy", "columns"};
  if (body.contains("refresh_policy")) {
    // It once lived here and nothing acted on it: the policy that runs is the index's.
    return InvalidArgument("refresh policies belong to vector indexes: PATCH /vectors/indexes/{name} with "
                           "{\"refresh_policy\": ...} (GET /vectors/indexes lists them)");
  }
  for (const auto& [key, value] : body.items()) {
    if (!kKnown.count(key)) {
      return InvalidArgument("unknown field '" + key +
                             "'; allowed: description, owner, sensitivity, tags, "
                             "expected_update_interval_s, schema_policy, columns");
    }
  }
  catalog::MetadataPatch patch;
  LH_ASSIGN_OR_RETURN(patch.description, OptionalString(body, "description"));
  LH_ASSIGN_OR_RETURN(patch.owner, OptionalString(body, "owner"));
  LH_ASSIGN_OR_RETURN(patch.tags, OptionalStrings(body, "tags"));
  LH_ASSIGN_OR_RETURN(patch.schema_policy, OptionalString(body, "schema_policy"));
  LH_ASSIGN_OR_RETURN(auto sensitivity, OptionalString(body, "sensitivity"));
  if (sensitivity) {
    LH_ASSIGN_OR_RETURN(patch.sensitivity, catalog::ParseSensitivity(*sensitivity));
  }
  LH_ASSIGN_OR_RETURN(patch.expected_update_interval_s, OptionalInt(body, "expected_update_interval_s"));
  if (body.contains("freshness") && body["freshness"].is_object()) {
    LH_ASSIGN_OR_RETURN(patch.expected_update_interval_s,
                        OptionalInt(body["freshness"], "expected_update_interval_s"));
  }
  if (body.contains("columns")) {
    // {"columns": {"email": {"sensitivity": "restricted"}}} or {"email": "restricted"}
    if (!body["columns"].is_object()) return InvalidArgument("field 'columns' must be an object keyed by column name");
    for (const auto& [column, value] : body["columns"].items()) {
      const json& level = value.is_object() ? value.value("sensitivity", json()) : value;
      if (!level.is_string()) {
        return InvalidArgument("column '" + column + "' needs a sensitivity string");
      }
      LH_ASSIGN_OR_RETURN(patch.column_sensitivity[column], catalog::ParseSensitivity(level.get<std::string>()));
    }
  }
  return patch;
}

// Whether SQL can read the dataset now: a dataset whose files the engine
// could not read is quarantined (the others stay queryable) and says why.
void AddQueryState(json& dataset, const std::map<std::string, std::string>& quarantined) {
  auto it = quarantined.find(dataset.value("name", ""));
  dataset["queryable"] = it == quarantined.end();
  if (it != quarantined.end()) dataset["query_error"] = it->second;
}

}  // namespace

void RegisterCatalogRoutes(httplib::Server& http, app::Runtime& runtime) {
  auto& catalog = runtime.catalog();
  auto& query = runtime.query();
  http.Get("/catalog/datasets", Guarded([&catalog, &query](const httplib::Request& req, httplib::Response& res) {
    bool only_overdue = req.get_param_value("overdue") == "true";
    std::string tag = req.get_param_value("tag");
    TimePoint now = Now();
    json list = json::array();
    auto quarantined = query.Quarantined();
    for (const auto& m : catalog.List()) {
      if (only_overdue && !m.IsOverdue(now)) continue;
      if (!tag.empty() && std::find(m.tags.begin(), m.tags.end(), tag) == m.tags.end()) continue;
      list.push_back(DatasetJson(m, now));
      AddQueryState(list.back(), quarantined);
    }
    SendJson(res, {{"datasets", list}, {"count", list.size()}});
    return Status::Ok();
  }));

  http.Get(R"(/catalog/datasets/by-name/([^/]+))",
           Guarded([&catalog, &query](const httplib::Request& req, httplib::Response& res) {
             LH_ASSIGN_OR_RETURN(auto m, catalog.Get(req.matches[1]));
             json dataset = DatasetJson(m, Now());
             AddQueryState(dataset, query.Quarantined());
             SendJson(res, dataset);
             return Status::Ok();
           }));

  http.Patch(R"(/catalog/datasets/by-name/([^/]+)/metadata)",
             Guarded([&catalog](const httplib::Request& req, httplib::Response& res) {
               LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
               LH_ASSIGN_OR_RETURN(auto patch, ParsePatch(body));
               LH_ASSIGN_OR_RETURN(auto m, catalog.PatchMetadata(req.matches[1], patch));
               SendJson(res, DatasetJson(m, Now()));
               return Status::Ok();
             }));

  http.Get(R"(/catalog/datasets/by-name/([^/]+)/versions)",
           Guarded([&catalog](const httplib::Request& req, httplib::Response& res) {
             LH_ASSIGN_OR_RETURN(auto m, catalog.Get(req.matches[1]));
             nlohmann::json full = catalog::ManifestToJson(m);
             nlohmann::json versions = full["versions"];
             for (auto& v : versions) v["view"] = v["number"] == full["current_version"]
                                                      ? m.name
                                                      : m.name + "@v" + std::to_string(v["number"].get<int>());
             SendJson(res, {{"dataset", m.name}, {"current_version", full["current_version"]}, {"versions", versions}});
             return Status::Ok();
           }));

  http.Patch(R"(/catalog/datasets/by-name/([^/]+)/bucket)",
             Guarded([&runtime](const httplib::Request& req, httplib::Response& res) {
               LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
               for (const auto& [key, value] : body.items()) {
                 if (key != "bucket") return InvalidArgument("field '" + key + "' is not known here; the body is {\"bucket\": NAME}");
               }
               LH_ASSIGN_OR_RETURN(auto bucket, OptionalString(body, "bucket"));
               if (!bucket) return InvalidArgument("field 'bucket' is required, e.g. {\"bucket\": \"cold\"}");
               LH_ASSIGN_OR_RETURN(auto moved, runtime.MoveDataset(req.matches[1], *bucket));
               nlohmann::json j = DatasetJson(moved.dataset, Now());
               j["indexes_moved"] = moved.indexes_moved;
               nlohmann::json stayed = nlohmann::json::object();
               for (const auto& [index, why] : moved.stayed) stayed[index] = why;
               j["indexes_not_moved"] = stayed;
               SendJson(res, j);
               return Status::Ok();
             }));

  http.Post("/catalog/migrate-buckets", Guarded([&catalog](const httplib::Request&, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto changed, catalog.MigrateBuckets());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : changed) list.push_back({{"dataset", c.dataset}, {"from", c.from}, {"to", c.to}});
    SendJson(res, {{"changed", list}, {"count", list.size()}});
    return Status::Ok();
  }));

  http.Delete(R"(/catalog/datasets/by-name/([^/]+))",
              Guarded([&runtime](const httplib::Request& req, httplib::Response& res) {
                std::string name = req.matches[1];
                LH_ASSIGN_OR_RETURN(int files, runtime.DeleteDataset(name));
                SendJson(res, {{"deleted", name}, {"files_removed", files}});
                return Status::Ok();
              }));
}

}  // namespace lakehouse::server
