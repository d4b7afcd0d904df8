// The HTTP server: binds, registers every subsystem's routes, and serves
// until Stop(). Routes are thin (server/routes_*.cpp); this file only wires.
#pragma once

#include <memory>
#include <string>

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

  // Binds host:port (port 0 picks a free one) and returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  void Serve();  // blocks until Stop()
  void Stop();

 private:
  app::Runtime& runtime_;
  std::unique_ptr<GuardedServer> http_;
};

}  // namespace lakehouse::server
