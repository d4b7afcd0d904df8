#include "server/http_util.h"
#include "server/json_views.h"
#include "server/routes.h"

namespace lakehouse::server {

void RegisterQueryRoutes(httplib::Server& http, engine::QueryEngine& query) {
  http.Post("/query/sql", Guarded([&query](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto sql, OptionalString(body, "sql"));
    if (!sql || sql->empty()) return InvalidArgument("field 'sql' is required, e.g. {\"sql\": \"SELECT 1\"}");
    LH_ASSIGN_OR_RETURN(auto max_rows, OptionalInt(body, "max_rows"));
    LH_ASSIGN_OR_RETURN(auto timeout_ms, OptionalInt(body, "timeout_ms"));
    engine::QueryRequest request{*sql, max_rows.value_or(-1), timeout_ms.value_or(-1)};
    LH_ASSIGN_OR_RETURN(auto result, query.Run(request));
    res.set_content(QueryResultJson(result), "application/json");
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
