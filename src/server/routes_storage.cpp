#include "server/http_util.h"
#include "server/routes.h"

namespace lakehouse::server {

namespace {

nlohmann::json BucketJson(const storage::BucketInfo& b, storage::BucketRegistry& buckets,
                          const catalog::Catalog& catalog) {
  nlohmann::json j = {{"name", b.name}, {"backend", b.backend}, {"root", b.root.string()}, {"runtime", b.runtime}};
  uint64_t bytes = 0, objects = 0;
  if (auto store = buckets.Get(b.name); store.ok()) {
    if (auto listed = (*store)->List(""); listed.ok()) {
      for (const auto& o : *listed) {
        // The primary bucket's root also holds other buckets' default folders.
        if (b.name == "primary" && o.key.rfind("_buckets/", 0) == 0) continue;
        bytes += o.size;
        ++objects;
      }
    }
  }
  j["usage"] = {{"bytes", bytes}, {"objects", objects}, {"datasets", catalog.DatasetsInBucket(b.name)}};
  return j;
}

}  // namespace

void RegisterStorageRoutes(httplib::Server& http, app::Runtime& runtime) {
  auto& buckets = runtime.buckets();
  auto& catalog = runtime.catalog();
  http.Get("/storage/buckets", Guarded([&](const httplib::Request&, httplib::Response& res) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : buckets.List()) list.push_back(BucketJson(b, buckets, catalog));
    SendJson(res, {{"buckets", list}});
    return Status::Ok();
  }));

  http.Post("/storage/buckets", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto name, OptionalString(body, "name"));
    LH_ASSIGN_OR_RETURN(auto path, OptionalString(body, "path"));
    if (!name) return InvalidArgument("field 'name' is required, e.g. {\"name\": \"cold\"}");
    std::optional<std::filesystem::path> root;
    if (path) root = *path;
    LH_ASSIGN_OR_RETURN(auto added, buckets.Add(*name, root));
    SendJson(res, BucketJson(added, buckets, catalog), 201);
    return Status::Ok();
  }));

  http.Delete(R"(/storage/buckets/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    LH_RETURN_IF_ERROR(runtime.RemoveBucket(name));
    SendJson(res, {{"removed", name}, {"note", "the bucket's folder and any files in it were left on disk"}});
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
