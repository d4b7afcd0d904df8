// Small HTTP helpers shared by the end-to-end tests.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server_process.h"

namespace lakehouse::testing {

struct Reply {
  int status = 0;
  nlohmann::json body;
};

inline Reply ToReply(const httplib::Result& res) {
  Reply r;
  if (!res) return r;
  r.status = res->status;
  r.body = nlohmann::json::parse(res->body, nullptr, false);
  return r;
}

inline Reply Upload(ServerProcess& server, const std::string& file_name, const std::string& content,
                    const std::vector<std::pair<std::string, std::string>>& fields = {},
                    const httplib::Headers& headers = {}) {
  httplib::MultipartFormDataItems items = {{"file", content, file_name, "application/octet-stream"}};
  for (const auto& [k, v] : fields) items.push_back({k, v, "", ""});
  return ToReply(server.http().Post("/ingest/file", headers, items));
}

inline Reply Sql(ServerProcess& server, const std::string& sql, const httplib::Headers& headers = {}) {
  return ToReply(server.http().Post("/query/sql", headers, nlohmann::json{{"sql", sql}}.dump(), "application/json"));
}

// An API key made by the CLI (printed once), e.g. MakeKey(server, "reader", "r", {"--grant", "pii"}).
inline std::string MakeKey(ServerProcess& server, const std::string& role, const std::string& name,
                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"auth", "key", "create", "--role", role, "--name", name};
  args.insert(args.end(), extra.begin(), extra.end());
  std::string out, err;
  int rc = server.RunCli(args, &out, &err);
  EXPECT_EQ(rc, 0) << err;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

inline Reply Get(ServerProcess& server, const std::string& path) { return ToReply(server.http().Get(path.c_str())); }

inline std::string ErrorMessage(const Reply& r) {
  if (!r.body.is_object() || !r.body.contains("error")) return "";
  return r.body["error"].value("message", "");
}

// A raw TCP connection to the server from a chosen loopback address.
class RawClient {
 public:
  RawClient(int port, const char* from) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool Send(const std::string& bytes) { return connected_ && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0; }
  // What the server sent within `timeout_ms`; "" when nothing, "<closed>" when it closed without a word.
  std::string Receive(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return "";
    char buf[512];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n <= 0 ? "<closed>" : std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};


}  // namespace lakehouse::testing
