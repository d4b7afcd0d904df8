// Whole HTTP requests, as bytes on a socket, to the real connection loop
// (GuardedServer: deadlines, per-client caps) and the upload reader behind
// POST /ingest/file (multipart parts, raw bodies, the spool). The server
// runs in this process, so the sanitizers watch it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "fuzz_util.h"
#include "server/guarded_server.h"
#include "server/http_util.h"
#include "server/upload.h"

namespace {

int StartServer() {
  using namespace lakehouse::server;
  static HttpLimits limits = [] {
    HttpLimits l;
    l.header_timeout_ms = 500;
    l.read_timeout_ms = 500;
    l.write_timeout_ms = 500;
    l.max_connections_per_client = 1000;
    return l;
  }();
  static auto* server = new GuardedServer(limits);
  static const auto spool_dir = lakehouse::fuzz::ScratchFile("uploads");
  std::filesystem::create_directories(spool_dir);
  server->set_payload_max_length(1 << 20);
  server->Post("/ingest/file", [](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
    Spool spool(spool_dir, 1 << 20);
    UploadFields upload;
    lakehouse::Status s = ReadUpload(req, reader, spool, upload);
    if (!s.ok()) return SendError(res, s);
    SendJson(res, {{"file", upload.file_name}, {"bytes", spool.bytes()}, {"fields", upload.fields.size()}});
  });
  int port = server->bind_to_any_port("127.0.0.1");
  server->WidenBacklog();
  std::thread([] { server->listen_after_bind(); }).detach();
  return port;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int port = StartServer();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    size_t sent = 0;
    while (sent < size) {
      ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 3000) > 0 && ::recv(fd, buf, sizeof buf, 0) > 0) {
    }
  }
  ::close(fd);
  return 0;
}
