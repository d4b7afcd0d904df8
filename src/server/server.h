// The HTTP server: binds, registers every subsystem's routes, and serves
// until Stop(). Routes are thin (server/routes_*.cpp); this file only wires.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/runtime.h"

namespace lakehouse::server {

class GuardedServer;

// Whether `host` is this machine only ("localhost", 127.0.0.0/8, ::1):
// elsewhere a server needs an API key (or --insecure) to serve.
bool IsLoopback(const std::string& host);

class Server {
 public:
  explicit Server(app::Runtime& runtime);
  ~Server();

  // Serve HTTPS with [server] tls_cert and tls_key (call before Bind);
  // returns what the operator should know (an expired certificate).
  Result<std::vector<std::string>> EnableTls(const std::filesystem::path& cert, const std::filesystem::path& key);
  bool tls() const;
  // Binds host:port (port 0 picks a free one) and returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  void Serve();  // blocks until Stop()
  void Stop();

 private:
  app::Runtime& runtime_;
  std::unique_ptr<GuardedServer> http_;
};

}  // namespace lakehouse::server
