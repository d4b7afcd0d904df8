#include "server/upload.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lakehouse::server {

// Streams an upload to a staging file, hashing it on the way and stopping
// at the size limit.
Spool::Spool(const fs::path& dir, uint64_t limit) : guard_(UniqueTempPath(dir, "upload")), limit_(limit) {
  fd_ = ::open(guard_.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) status_ = Internal(std::string("cannot create upload spool: ") + std::strerror(errno));
}
Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

bool Spool::Write(const char* data, size_t len) {
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
Status Spool::Finish() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (status_.ok()) sha256_ = hasher_.HexDigest();
  return status_;
}
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
      return InvalidArgument(
          "no file in the upload: send it as the multipart field 'file' "
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

}  // namespace lakehouse::server
