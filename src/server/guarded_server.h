// The HTTP listener, hardened for a port anyone may reach: httplib's request
// handling on top of our own connection loop, which gives every connection
// deadlines and caps that httplib (Debian's 0.11, a compiled library whose
// limits cannot be changed by macros) does not have:
//
// - a request's line and headers must arrive within header_timeout of its
//   first byte, its body at min_body_bytes_per_s or faster (after a grace),
//   and no single read or write may stall past read/write_timeout;
// - connections from one client address are capped (503 past the cap), and
//   the workers grow on demand up to max_connections, so slow clients hold
//   threads of their own and never the ones that answer /health;
// - the listen backlog is large enough for a burst of clients;
// - with a TLS context, HTTPS: the handshake within the header deadline,
//   records read and written under the same deadlines (server/tls.h).
//
// Thread-safe as httplib::Server is: configure, Bind, then Serve.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lakehouse::server {

struct HttpLimits {
  int min_workers = 8;                   // threads kept even when idle
  int max_connections = 256;             // connections served at once; more wait in the backlog
  int max_connections_per_client = 96;   // from one address at once; more get 503
  int backlog = 1024;
  int64_t header_timeout_ms = 10000;     // request line and headers, from the first byte
  int64_t read_timeout_ms = 30000;       // one read that gets nothing
  int64_t write_timeout_ms = 30000;      // one write the client does not take
  int64_t keep_alive_timeout_ms = 5000;  // idle time between two requests of one connection
  int keep_alive_max_requests = 1000;
  int64_t body_grace_ms = 10000;         // then the body must average at least:
  int64_t min_body_bytes_per_s = 1024;
};

// A TaskQueue that starts a thread when every worker is busy, up to a cap,
// and lets the ones above the minimum go after a minute idle.
class ElasticThreadPool : public httplib::TaskQueue {
 public:
  ElasticThreadPool(int min_threads, int max_threads);
  ~ElasticThreadPool() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void Work();

  const int min_threads_, max_threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // GUARDED_BY(mutex_)
  std::vector<std::thread> threads_;        // GUARDED_BY(mutex_)
  int alive_ = 0;                           // GUARDED_BY(mutex_)
  int idle_ = 0;                            // GUARDED_BY(mutex_)
  bool stopping_ = false;                   // GUARDED_BY(mutex_)
};

// Ends the connection once the current response is written: a request
// refused before its body was read leaves bytes no one may parse as the
// next request. Called on the worker thread serving it.
void CloseConnectionAfterResponse();

class TlsContext;

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(HttpLimits limits);
  // Serve HTTPS with `tls` (server/tls.h); call before Serve.
  void UseTls(std::shared_ptr<TlsContext> tls);
  bool tls() const { return tls_ != nullptr; }
  // Call after bind: widens the listen backlog httplib fixed at 5.
  void WidenBacklog();
  const HttpLimits& limits() const { return limits_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool Admit(const std::string& address);
  void Leave(const std::string& address);

  HttpLimits limits_;
  std::shared_ptr<TlsContext> tls_;
  std::mutex clients_mutex_;
  std::map<std::string, int> clients_;  // address -> open connections; GUARDED_BY(clients_mutex_)
};

}  // namespace lakehouse::server
