#include "server/http_util.h"
#include "server/routes.h"

namespace lakehouse::server {

void RegisterStorageRoutes(httplib::Server& http, storage::BucketRegistry& buckets) {
  http.Get("/storage/buckets", Guarded([&buckets](const httplib::Request&, httplib::Response& res) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : buckets.List()) {
      list.push_back({{"name", b.name}, {"backend", b.backend}, {"root", b.root.string()}});
    }
    SendJson(res, {{"buckets", list}});
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
