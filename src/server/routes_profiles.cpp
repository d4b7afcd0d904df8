// /vectors/profiles, /vectors/profile/* and /admin/*: model profiles, the
// GPU slot, profile-scoped search, and the model server's memory.
#include "ai/slot_records.h"
#include "common/names.h"
#include "server/caller.h"
#include "server/http_util.h"
#include "server/profile_views.h"
#include "server/routes.h"
#include "server/vector_requests.h"
#include "server/vector_views.h"
#include "vector/profile_scope.h"

namespace lakehouse::server {

namespace {

using nlohmann::json;

Status OnlyFields(const json& body, std::initializer_list<const char*> known, const char* shape) {
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) return InvalidArgument("field '" + key + "' is not known here; the body is " + shape);
  }
  return Status::Ok();
}

Result<std::string> ModelField(const json& body) {
  LH_ASSIGN_OR_RETURN(auto model, OptionalString(body, "model"));
  if (!model || model->empty()) return InvalidArgument("field 'model' is required, e.g. {\"model\": \"mistral\"}");
  ai::ModelProfile probe;  // the same rule as a profile's model names
  probe.id = "x";
  probe.llm_provider = ai::LlmProvider::kOllama;
  probe.llm_model = *model;
  LH_RETURN_IF_ERROR(ai::ValidateProfile(probe));
  return *model;
}

}  // namespace

void RegisterProfileRoutes(httplib::Server& http, app::Runtime& rt) {
  auto& store = rt.profiles();
  auto& slot = rt.slot();
  std::string keep_alive = rt.config().profiles_keep_alive;

  http.Post("/vectors/profiles", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto profile, ParseNewProfile(body));
    LH_ASSIGN_OR_RETURN(auto made, store.Create(profile));
    SendJson(res, ProfileJson(made, slot.State().active, {}), 201);
    return Status::Ok();
  }));
  http.Get("/vectors/profiles", Guarded([&](const httplib::Request&, httplib::Response& res) {
    auto active = slot.State().active;
    json list = json::array();
    std::map<std::string, std::string> problems;
    for (const auto& p : store.List(&problems)) list.push_back(ProfileJson(p, active, IndexesUnder(rt, p.id)));
    SendJson(res, {{"profiles", list}, {"active", active ? json(*active) : json(nullptr)}, {"problems", problems}});
    return Status::Ok();
  }));
  http.Get(R"(/vectors/profiles/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto p, store.Get(req.matches[1]));
    SendJson(res, ProfileJson(p, slot.State().active, IndexesUnder(rt, p.id)));
    return Status::Ok();
  }));
  http.Patch(R"(/vectors/profiles/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto current, store.Get(req.matches[1]));
    auto under = IndexesUnder(rt, current.id);
    LH_ASSIGN_OR_RETURN(auto next, PatchProfile(current, body, under));
    LH_ASSIGN_OR_RETURN(auto stored, store.Put(next));
    SendJson(res, ProfileJson(stored, slot.State().active, under));
    return Status::Ok();
  }));
  http.Delete(R"(/vectors/profiles/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_RETURN_IF_ERROR(rt.DropProfile(req.matches[1]));
    SendJson(res, {{"dropped", std::string(req.matches[1])}});
    return Status::Ok();
  }));

  http.Post(R"(/vectors/profile/([^/]+)/activate)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_RETURN_IF_ERROR(OnlyFields(body, {}, "empty"));
    LH_ASSIGN_OR_RETURN(auto report, slot.Activate(req.matches[1]));
    SendJson(res, ai::SwitchReportToJson(report));
    return Status::Ok();
  }));
  http.Post(R"(/vectors/profile/([^/]+)/deactivate)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    LH_RETURN_IF_ERROR(ValidateName(id, "profile id"));
    // The slot checks under its lock that `id` still holds it (a dropped
    // profile's slot can be emptied too).
    LH_ASSIGN_OR_RETURN(auto report, slot.Deactivate(id));
    SendJson(res, ai::SwitchReportToJson(report));
    return Status::Ok();
  }));
  http.Get("/vectors/profile/active", Guarded([&](const httplib::Request&, httplib::Response& res) {
    SendJson(res, ActiveProfileJson(rt));
    return Status::Ok();
  }));
  http.Post(R"(/vectors/profile/([^/]+)/search/([^/]+))",
            Guarded([&, keep_alive](const httplib::Request& req, httplib::Response& res) {
              LH_ASSIGN_OR_RETURN(auto profile, store.Get(req.matches[1]));
              LH_ASSIGN_OR_RETURN(auto index, rt.indexes().Get(req.matches[2]));
              LH_RETURN_IF_ERROR(vector::CheckProfileSpace(profile, index));
              LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
              LH_ASSIGN_OR_RETURN(auto request, ParseSearch(body));
              request.may_see_pii = CallerSeesPii();
              request.query_embedder = vector::ScopedQueryEmbedder(profile, index, keep_alive);
              // On the old models or after the switch, never during one.
              auto hold = slot.Hold();
              LH_ASSIGN_OR_RETURN(auto result, rt.searcher().Search(index.name, request));
              json out = SearchJson(result);
              out["profile"] = profile.id;
              SendJson(res, out);
              return Status::Ok();
            }));

  http.Get("/admin/vram", Guarded([&](const httplib::Request&, httplib::Response& res) {
    SendJson(res, VramJson(slot.Vram()));
    return Status::Ok();
  }));
  http.Post("/admin/unload", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_RETURN_IF_ERROR(OnlyFields(body, {"model"}, "{\"model\": NAME}"));
    LH_ASSIGN_OR_RETURN(auto model, ModelField(body));
    LH_ASSIGN_OR_RETURN(auto done, slot.Unload(model));
    SendJson(res, ai::UnloadedModelToJson(done));
    return Status::Ok();
  }));
  http.Post("/admin/preload", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_RETURN_IF_ERROR(OnlyFields(body, {"model", "kind", "keep_alive"},
                                  "{\"model\": NAME, \"kind\": \"llm\"|\"embedding\", \"keep_alive\": \"30m\"}"));
    LH_ASSIGN_OR_RETURN(auto model, ModelField(body));
    LH_ASSIGN_OR_RETURN(auto kind_name, OptionalString(body, "kind"));
    LH_ASSIGN_OR_RETURN(auto keep, OptionalString(body, "keep_alive"));
    std::optional<ai::ModelKind> kind;
    if (kind_name) {
      if (*kind_name != "llm" && *kind_name != "embedding") return InvalidArgument("kind must be \"llm\" or \"embedding\"");
      kind = *kind_name == "llm" ? ai::ModelKind::kLlm : ai::ModelKind::kEmbedding;
    }
    if (keep && !ai::ValidKeepAlive(*keep)) {
      return InvalidArgument("keep_alive must be a duration such as \"30m\", \"24h\" or \"-1\" (until unloaded)");
    }
    LH_ASSIGN_OR_RETURN(auto done, slot.Preload(model, kind, keep));
    SendJson(res, ai::PreloadedModelToJson(done));
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
