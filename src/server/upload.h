// Reading an upload (POST /ingest/file) into a staging file: multipart
// with one file part and small text fields, or a raw body. Streams to disk
// and hashes on the way, stopping at the size limit, so neither memory nor
// disk grows past what is allowed. Used by one request's thread.
#pragma once

#include <httplib.h>

#include <map>
#include <string>

#include "common/files.h"

namespace lakehouse::server {

class Spool {
 public:
  Spool(const fs::path& dir, uint64_t limit);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  bool Write(const char* data, size_t len);
  Status Finish();
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

// InvalidArgument for a body that is not one readable file; the spool's own
// error (too large, disk full) when writing it failed.
Status ReadUpload(const httplib::Request& req, const httplib::ContentReader& reader, Spool& spool,
                  UploadFields& upload);

}  // namespace lakehouse::server
