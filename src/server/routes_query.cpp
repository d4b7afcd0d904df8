#include <memory>

#include "server/caller.h"
#include "server/http_util.h"
#include "server/json_views.h"
#include "server/routes.h"

namespace lakehouse::server {

namespace {

// What to export: {"sql": "..."} or {"dataset": "name"}, and a format.
struct ExportRequest {
  std::string sql;
  std::string file_stem = "export";
  engine::ExportFormat format = engine::ExportFormat::kCsv;
};

Result<ExportRequest> ParseExport(const httplib::Request& req, const engine::QueryEngine& query) {
  LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
  LH_ASSIGN_OR_RETURN(auto sql, OptionalString(body, "sql"));
  LH_ASSIGN_OR_RETURN(auto dataset, OptionalString(body, "dataset"));
  LH_ASSIGN_OR_RETURN(auto format, OptionalString(body, "format"));
  ExportRequest out;
  if (sql && !sql->empty() && dataset) return InvalidArgument("give 'sql' or 'dataset', not both");
  if (dataset) {
    LH_ASSIGN_OR_RETURN(out.sql, query.SelectAllOf(*dataset));
    out.file_stem = *dataset;
    for (char& c : out.file_stem) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
    }
  } else if (sql && !sql->empty()) {
    out.sql = *sql;
  } else {
    return InvalidArgument("field 'sql' or 'dataset' is required, e.g. {\"dataset\": \"orders\", \"format\": \"csv\"}");
  }
  if (format) {
    LH_ASSIGN_OR_RETURN(out.format, engine::ParseExportFormat(*format));
  }
  return out;
}

}  // namespace

void RegisterQueryRoutes(httplib::Server& http, engine::QueryEngine& query) {
  http.Post("/query/sql", Guarded([&query](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto sql, OptionalString(body, "sql"));
    if (!sql || sql->empty()) return InvalidArgument("field 'sql' is required, e.g. {\"sql\": \"SELECT 1\"}");
    LH_ASSIGN_OR_RETURN(auto max_rows, OptionalInt(body, "max_rows"));
    LH_ASSIGN_OR_RETURN(auto timeout_ms, OptionalInt(body, "timeout_ms"));
    engine::QueryRequest request{*sql, max_rows.value_or(-1), timeout_ms.value_or(-1)};
    request.masked = !CallerSeesPii();
    LH_ASSIGN_OR_RETURN(auto result, query.Run(request));
    res.set_content(QueryResultJson(result), "application/json");
    return Status::Ok();
  }));

  // The whole result, streamed as it is written: no row or byte cap. An
  // error found before the first byte is an ordinary error response; one
  // found later (a bad cast in row 3 million) cuts the chunked stream short,
  // which every HTTP client reports as an incomplete response.
  http.Post("/query/export", Guarded([&query](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto request, ParseExport(req, query));
    LH_ASSIGN_OR_RETURN(auto started, query.StartExport(request.sql, request.format, !CallerSeesPii()));
    std::shared_ptr<engine::ExportJob> job = std::move(started);
    res.set_header("Content-Disposition", "attachment; filename=\"" + request.file_stem +
                                              engine::ExportExtension(request.format) + "\"");
    res.set_chunked_content_provider(
        engine::ExportContentType(request.format),
        [job](size_t, httplib::DataSink& sink) {
          std::string buf(256 << 10, '\0');
          auto got = job->Read(buf.data(), buf.size());
          if (!got.ok()) return false;
          if (*got == 0) {
            sink.done();
            return true;
          }
          return sink.write(buf.data(), *got);
        },
        [job](bool) { job->Cancel(); });
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
