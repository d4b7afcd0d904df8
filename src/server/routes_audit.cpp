// GET /admin/audit: the audit log, filtered (admin).
#include "server/audit_views.h"
#include "server/http_util.h"
#include "server/routes.h"

namespace lakehouse::server {

void RegisterAuditRoutes(httplib::Server& http, auth::AuditLog& audit) {
  http.Get("/admin/audit", Guarded([&audit](const httplib::Request& req, httplib::Response& res) {
    std::map<std::string, std::string> params;
    for (const auto& [key, value] : req.params) params[key] = value;
    LH_ASSIGN_OR_RETURN(auto filter, ParseAuditFilter(params));
    LH_ASSIGN_OR_RETURN(auto page, audit.Read(filter));
    SendJson(res, AuditPageJson(page));
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
