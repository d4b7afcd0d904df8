#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <map>
#include <vector>

#include "common/files.h"
#include "server/http_util.h"
#include "server/json_views.h"
#include "server/routes.h"
#include "server/upload.h"

namespace lakehouse::server {

namespace {

constexpr const char* kBucketHeader = "X-Lakehouse-Bucket";

std::string Field(const httplib::Request& req, const UploadFields& upload, const std::string& key) {
  auto it = upload.fields.find(key);
  if (it != upload.fields.end()) return it->second;
  return req.get_param_value(key.c_str());
}

}  // namespace

void RegisterIngestRoutes(httplib::Server& http, ingest::Ingestor& ingestor, storage::BucketRegistry& buckets,
                          uint64_t max_upload_bytes) {
  http.Post("/ingest/file", [&ingestor, &buckets, max_upload_bytes](
                                const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) {
    auto handle = [&]() -> Status {
      std::string bucket = req.has_header(kBucketHeader) ? req.get_header_value(kBucketHeader) : "primary";
      LH_ASSIGN_OR_RETURN(auto store, buckets.Get(bucket));
      if (req.has_header("Content-Length") &&
          std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) >
              max_upload_bytes + 1024 * 1024) {
        return TooLarge("the upload is larger than the limit of " + std::to_string(max_upload_bytes) +
                        " bytes (ingest.max_upload_bytes); ingest big files with `lakehouse ingest FILE`");
      }
      Spool spool(store->StagingDir(), max_upload_bytes);
      UploadFields upload;
      LH_RETURN_IF_ERROR(ReadUpload(req, reader, spool, upload));
      ingest::IngestRequest request;
      request.file = spool.path();
      request.file_name = upload.file_name;
      request.dataset = Field(req, upload, "name");
      request.bucket = bucket;
      request.source_system = "upload";
      request.sha256 = spool.sha256();
      LH_ASSIGN_OR_RETURN(request.mode, ingest::ParseWriteMode(Field(req, upload, "mode")));
      std::string format = Field(req, upload, "format");
      if (!format.empty()) {
        LH_ASSIGN_OR_RETURN(request.format, ingest::ParseFormat(format));
      }
      // A mistyped field (delimeter=;) must not be dropped without a word.
      std::vector<std::string> known = {"name", "mode", "format", "allow_disjoint", "filename"};
      known.insert(known.end(), ingest::ReaderOptionNames().begin(), ingest::ReaderOptionNames().end());
      auto check = [&](const std::string& key) -> Status {
        if (std::find(known.begin(), known.end(), key) != known.end()) return Status::Ok();
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return InvalidArgument("unknown upload field '" + key + "' (known: file, " + list + ")");
      };
      for (const auto& [key, value] : upload.fields) LH_RETURN_IF_ERROR(check(key));
      for (const auto& [key, value] : req.params) LH_RETURN_IF_ERROR(check(key));
      std::map<std::string, std::string> reader;
      for (const auto& key : ingest::ReaderOptionNames()) {
        if (upload.fields.count(key) || req.has_param(key.c_str())) reader[key] = Field(req, upload, key);
      }
      LH_ASSIGN_OR_RETURN(request.reader, ingest::ReaderOptionsFromMap(reader, true));
      ingest::ApplyFormatName(format, request.reader);
      std::string disjoint = Field(req, upload, "allow_disjoint");
      request.allow_disjoint = disjoint == "true" || disjoint == "1" || disjoint == "yes";
      LH_ASSIGN_OR_RETURN(auto result, ingestor.Ingest(request));
      SendJson(res, IngestResultJson(result), result.no_op ? 200 : 201);
      return Status::Ok();
    };
    Status s = handle();
    if (!s.ok()) SendError(res, s);
  });
}

}  // namespace lakehouse::server
