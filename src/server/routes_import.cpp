#include "server/http_util.h"
#include "server/json_views.h"
#include "server/routes.h"

namespace lakehouse::server {

namespace {

constexpr const char* kBucketHeader = "X-Lakehouse-Bucket";

// {"dsn": "..."} or {"host", "port", "user", "password", "database"}.
Result<connectors::ConnectionParams> ParseConnection(const nlohmann::json& body, const std::string& system) {
  LH_ASSIGN_OR_RETURN(auto dsn, OptionalString(body, "dsn"));
  connectors::ConnectionParams p;
  if (dsn) {
    LH_ASSIGN_OR_RETURN(p, connectors::ParseDsn(*dsn));
    if (p.system != system) {
      return InvalidArgument("this route imports from " + system + " but the DSN is for " + p.system);
    }
    return p;
  }
  p.system = system;
  LH_ASSIGN_OR_RETURN(auto host, OptionalString(body, "host"));
  LH_ASSIGN_OR_RETURN(auto port, OptionalInt(body, "port"));
  LH_ASSIGN_OR_RETURN(auto user, OptionalString(body, "user"));
  LH_ASSIGN_OR_RETURN(auto password, OptionalString(body, "password"));
  LH_ASSIGN_OR_RETURN(auto database, OptionalString(body, "database"));
  if (!database) return InvalidArgument("give 'dsn' or at least 'database' (with host, port, user, password)");
  if (host) p.host = *host;
  if (port) {
    if (*port <= 0 || *port > 65535) return InvalidArgument("field 'port' must be 1..65535");
    p.port = static_cast<int>(*port);
  }
  if (user) p.user = *user;
  if (password) p.password = *password;
  p.database = *database;
  return p;
}

void RegisterSystem(httplib::Server& http, ingest::Ingestor& ingestor, const std::string& system,
                    const std::string& tables_path, const std::string& import_path) {
  http.Post(tables_path, Guarded([system](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto params, ParseConnection(body, system));
    LH_ASSIGN_OR_RETURN(auto source, connectors::Connect(params));
    LH_ASSIGN_OR_RETURN(auto tables, source->ListTables());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : tables) {
      list.push_back({{"schema", t.schema}, {"name", t.name}, {"estimated_rows", t.estimated_rows}});
    }
    SendJson(res, {{"source", params.Redacted()}, {"tables", list}});
    return Status::Ok();
  }));
  http.Post(import_path, Guarded([&ingestor, system](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    ingest::DbImportRequest request;
    LH_ASSIGN_OR_RETURN(request.connection, ParseConnection(body, system));
    LH_ASSIGN_OR_RETURN(auto table, OptionalString(body, "table"));
    LH_ASSIGN_OR_RETURN(auto schema, OptionalString(body, "schema"));
    LH_ASSIGN_OR_RETURN(auto query, OptionalString(body, "query"));
    LH_ASSIGN_OR_RETURN(auto name, OptionalString(body, "name"));
    LH_ASSIGN_OR_RETURN(auto incremental, OptionalString(body, "incremental_by"));
    request.spec.table = table.value_or("");
    // "schema.table" is accepted as the table.
    if (!schema && request.spec.table.find('.') != std::string::npos) {
      schema = request.spec.table.substr(0, request.spec.table.find('.'));
      request.spec.table = request.spec.table.substr(request.spec.table.find('.') + 1);
    }
    request.spec.schema = schema.value_or("");
    request.spec.query = query.value_or("");
    request.spec.incremental_column = incremental.value_or("");
    request.dataset = name.value_or("");
    request.bucket = req.has_header(kBucketHeader) ? req.get_header_value(kBucketHeader) : "primary";
    LH_ASSIGN_OR_RETURN(auto result, ingestor.ImportDatabase(request));
    SendJson(res, IngestResultJson(result), result.no_op ? 200 : 201);
    return Status::Ok();
  }));
}

}  // namespace

void RegisterImportRoutes(httplib::Server& http, ingest::Ingestor& ingestor) {
  RegisterSystem(http, ingestor, "postgres", "/ingest/postgres/tables", "/ingest/postgres/import");
  RegisterSystem(http, ingestor, "mysql", "/ingest/mysql/tables", "/ingest/mysql");
}

}  // namespace lakehouse::server
