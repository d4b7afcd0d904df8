#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/files.h"
#include "server/http_util.h"
#include "server/json_views.h"
#include "server/routes.h"

namespace lakehouse::server {

namespace {

constexpr const char* kBucketHeader = "X-Lakehouse-Bucket";

// Streams an upload to a staging file, hashing it on the way and stopping
// at the size limit, so neither memory nor disk grows past what is allowed.
class Spool {
 public:
  Spool(const fs::path& dir, uint64_t limit) : guard_(UniqueTempPath(dir, "upload")), limit_(limit) {
    fd_ = ::open(guard_.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) status_ = Internal(std::string("cannot create upload spool: ") + std::strerror(errno));
  }
  ~Spool() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Write(const char* data, size_t len) {
    if (!status_.ok()) return false;
    bytes_ += len;
    if (bytes_ > limit_) {
      status_ = TooLarge("the upload is larger than the limit of " + std::to_string(limit_) +
                         " bytes (ingest.max_upload_bytes); ingest big files with `lakehouse ingest FILE`");
      return false;
    }
    hasher_.Update(data, len);
    while (len > 0) {
      ssize_t n = ::write(fd_, data, len);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int error = errno;
        status_ = error == ENOSPC || error == EDQUOT || error == EFBIG
                      ? StorageFullError(error)
                      : Internal(std::string("cannot write upload spool: ") + std::strerror(error));
        return false;
      }
      data += n;
      len -= static_cast<size_t>(n);
    }
    return true;
  }
  Status Finish() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (status_.ok()) sha256_ = hasher_.HexDigest();
    return status_;
  }
  const fs::path& path() const { return guard_.path(); }
  const std::string& sha256() const { return sha256_; }
  uint64_t bytes() const { return bytes_; }

 private:
  TempFileGuard guard_;
  uint64_t limit_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  Sha256Stream hasher_;
  std::string sha256_;
  Status status_;
};

struct UploadFields {
  std::string file_name;
  bool saw_file = false;
  std::map<std::string, std::string> fields;  // small text parts: name, mode, format
};

Status ReadUpload(const httplib::Request& req, const httplib::ContentReader& reader, Spool& spool,
                  UploadFields& upload) {
  if (req.is_multipart_form_data()) {
    std::string current_field;
    bool current_is_file = false;
    bool read_ok = reader(
        [&](const httplib::MultipartFormData& part) {
          current_field = part.name;
          current_is_file = !part.filename.empty() || part.name == "file";
          if (current_is_file) {
            if (upload.saw_file) return false;  // one file per request
            upload.saw_file = true;
            upload.file_name = part.filename.empty() ? "upload" : part.filename;
          }
          return true;
        },
        [&](const char* data, size_t len) {
          if (current_is_file) return spool.Write(data, len);
          std::string& value = upload.fields[current_field];
          if (value.size() + len > 4096) return false;
          value.append(data, len);
          return true;
        });
    LH_RETURN_IF_ERROR(spool.Finish());
    if (!read_ok && upload.saw_file && spool.bytes() == 0) {
      return InvalidArgument("send one file per request");
    }
    if (!read_ok) return InvalidArgument("the multipart body could not be read");
    if (!upload.saw_file) {
      return InvalidArgument("no file in the upload: send it as the multipart field 'file' "
                             "(curl -F file=@data.csv)");
    }
    return Status::Ok();
  }
  bool read_ok = reader([&](const char* data, size_t len) { return spool.Write(data, len); });
  LH_RETURN_IF_ERROR(spool.Finish());
  if (!read_ok) return InvalidArgument("the request body could not be read");
  upload.saw_file = true;
  upload.file_name = req.get_param_value("filename");
  if (upload.file_name.empty()) upload.file_name = "upload";
  return Status::Ok();
}

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
      LH_ASSIGN_OR_RETURN(auto result, ingestor.Ingest(request));
      SendJson(res, IngestResultJson(result), result.no_op ? 200 : 201);
      return Status::Ok();
    };
    Status s = handle();
    if (!s.ok()) SendError(res, s);
  });
}

}  // namespace lakehouse::server
