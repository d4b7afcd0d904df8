#include "server/guarded_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>

#include "server/tls.h"

namespace lakehouse::server {

namespace {

using Clock = std::chrono::steady_clock;

int64_t MillisUntil(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
}

// Waits until `sock` is ready for `events` or `timeout_ms` passes.
bool WaitFor(int sock, short events, int64_t timeout_ms) {
  pollfd p{sock, events, 0};
  while (true) {
    int n = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(timeout_ms, 0, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

// Waits until `sock` takes more bytes. A client that reads slowly but keeps
// reading is not stalled (Linux reports a socket writable only once a third
// of its buffer is free, which a slow reader may take minutes to make): the
// wait fails only after `stall_ms` in which the send queue shrank by less
// than 4 KiB.
bool WaitWritable(int sock, int64_t stall_ms) {
  constexpr int kProgressBytes = 4096;
  int queued = 0;
  if (::ioctl(sock, SIOCOUTQ, &queued) != 0) return WaitFor(sock, POLLOUT, stall_ms);
  auto since = Clock::now();
  while (true) {
    if (WaitFor(sock, POLLOUT, std::clamp<int64_t>(stall_ms, 0, 1000))) return true;
    int now_queued = 0;
    if (::ioctl(sock, SIOCOUTQ, &now_queued) != 0) return false;
    if (queued - now_queued >= kProgressBytes || now_queued == 0) {
      queued = now_queued;
      since = Clock::now();
    } else if (-MillisUntil(since) >= stall_ms) {
      return false;
    }
  }
}

std::string AddressOf(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text, sizeof text);
  }
  return text;
}

int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  return 0;
}

// A socket stream whose reads obey the phase of the request they belong to:
// headers by an absolute deadline, the body at a minimum average rate.
// With `ssl` (HTTPS) the socket is non-blocking and records go through
// OpenSSL, waiting on the socket under the same deadlines.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, const HttpLimits& limits, SSL* ssl = nullptr) : sock_(sock), limits_(limits), ssl_(ssl) {}

  void StartRequest() {
    phase_ = Phase::kHeaders;
    header_deadline_ = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
  }
  void HeadersDone() {
    phase_ = Phase::kBody;
    body_started_ = Clock::now();
    body_bytes_ = 0;
  }

  bool is_readable() const override { return Buffered() || WaitFor(sock_, POLLIN, ReadWaitMs()); }
  bool is_writable() const override { return WaitWritable(sock_, limits_.write_timeout_ms); }
  // Decrypted bytes OpenSSL holds that poll() cannot see.
  bool Buffered() const { return ssl_ && SSL_pending(ssl_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (TooSlow()) return -1;
    if (ssl_) return TlsRead(ptr, size);
    if (!WaitFor(sock_, POLLIN, ReadWaitMs())) return -1;
    ssize_t n;
    do {
      n = ::recv(sock_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0 && phase_ == Phase::kBody) body_bytes_ += n;
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (ssl_) return TlsWrite(ptr, size);
    if (!WaitWritable(sock_, limits_.write_timeout_ms)) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { Name(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { Name(::getsockname, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  enum class Phase { kHeaders, kBody };

  // Waits for what OpenSSL asked for after `result`; false: give up.
  bool WaitForTls(int result) {
    int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ) return !TooSlow() && WaitFor(sock_, POLLIN, ReadWaitMs());
    if (error == SSL_ERROR_WANT_WRITE) return WaitWritable(sock_, limits_.write_timeout_ms);
    return false;
  }
  ssize_t TlsRead(char* ptr, size_t size) {
    while (true) {
      ERR_clear_error();
      int n = SSL_read(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
      if (n > 0) {
        if (phase_ == Phase::kBody) body_bytes_ += n;
        return n;
      }
      if (SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN) return 0;
      if (!WaitForTls(n)) return -1;
    }
  }
  ssize_t TlsWrite(const char* ptr, size_t size) {
    if (size == 0) return 0;
    while (true) {
      ERR_clear_error();
      int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
      if (n > 0) return n;
      if (!WaitForTls(n)) return -1;
    }
  }

  int64_t ReadWaitMs() const {
    int64_t wait = limits_.read_timeout_ms;
    if (phase_ == Phase::kHeaders) wait = std::min(wait, MillisUntil(header_deadline_));
    return std::max<int64_t>(wait, 0);
  }
  bool TooSlow() const {
    if (phase_ == Phase::kHeaders) return Clock::now() >= header_deadline_;
    auto elapsed_ms = -MillisUntil(body_started_);
    if (elapsed_ms <= limits_.body_grace_ms) return false;
    return body_bytes_ * 1000 < limits_.min_body_bytes_per_s * (elapsed_ms - limits_.body_grace_ms);
  }
  template <typename NameFn>
  void Name(NameFn fn, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (fn(sock_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    ip = AddressOf(addr);
    port = PortOf(addr);
  }

  int sock_;
  const HttpLimits& limits_;
  SSL* ssl_;
  Phase phase_ = Phase::kHeaders;
  Clock::time_point header_deadline_{};
  Clock::time_point body_started_{};
  int64_t body_bytes_ = 0;
};

void CloseSocket(int sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// Owns a connection's OpenSSL state.
struct TlsSession {
  SSL* ssl = nullptr;
  ~TlsSession() {
    if (ssl) SSL_free(ssl);
  }
};

// The TLS handshake, within the time a request's headers have. A client
// speaking plain HTTP to the HTTPS port is told so in plain HTTP.
bool Handshake(int sock, SSL* ssl, const HttpLimits& limits, const std::string& address) {
  int flags = ::fcntl(sock, F_GETFL, 0);
  if (flags < 0 || ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) return false;
  if (SSL_set_fd(ssl, sock) != 1) return false;
  auto deadline = Clock::now() + std::chrono::milliseconds(limits.header_timeout_ms);
  // A TLS client's first byte is 0x16 (a handshake record); a letter is an
  // HTTP method: tell that client what to do, in its own protocol.
  char first = 0;
  if (!WaitFor(sock, POLLIN, MillisUntil(deadline)) || ::recv(sock, &first, 1, MSG_PEEK) != 1) return false;
  if (first >= 'A' && first <= 'Z') {
    static const std::string kBody =
        R"({"error":{"code":"invalid_argument","message":"this server speaks HTTPS: use https:// in the URL"}})";
    std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(kBody.size()) + "\r\nConnection: close\r\n\r\n" + kBody;
    (void)::send(sock, reply.data(), reply.size(), MSG_NOSIGNAL);
    // Closing with the request unread would reset the connection before the
    // client reads the answer: take (and drop) up to 1 MiB of it for 1 s.
    ::shutdown(sock, SHUT_WR);
    char sink[16384];
    size_t drained = 0;
    for (auto until = Clock::now() + std::chrono::seconds(1); drained < (1u << 20) && Clock::now() < until;) {
      if (!WaitFor(sock, POLLIN, 100)) continue;
      ssize_t n = ::recv(sock, sink, sizeof sink, 0);
      if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) break;
      if (n > 0) drained += static_cast<size_t>(n);
    }
    return false;
  }
  while (true) {
    ERR_clear_error();
    int r = SSL_accept(ssl);
    if (r == 1) return true;
    int error = SSL_get_error(ssl, r);
    int64_t left = MillisUntil(deadline);
    if (left > 0 && error == SSL_ERROR_WANT_READ && WaitFor(sock, POLLIN, left)) continue;
    if (left > 0 && error == SSL_ERROR_WANT_WRITE && WaitFor(sock, POLLOUT, left)) continue;
    unsigned long why = ERR_peek_error();
    char text[256] = {0};
    ERR_error_string_n(why, text, sizeof text);
    spdlog::debug("TLS handshake with {} failed: {}", address, why ? text : "the connection ended or timed out");
    ERR_clear_error();
    return false;
  }
}

}  // namespace

ElasticThreadPool::ElasticThreadPool(int min_threads, int max_threads)
    : min_threads_(std::max(1, min_threads)), max_threads_(std::max(min_threads_, max_threads)) {}

ElasticThreadPool::~ElasticThreadPool() { shutdown(); }

void ElasticThreadPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  jobs_.push_back(std::move(fn));
  if (idle_ < static_cast<int>(jobs_.size()) && alive_ < max_threads_) {
    ++alive_;
    threads_.emplace_back([this] { Work(); });
  }
  cv_.notify_one();
}

void ElasticThreadPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

void ElasticThreadPool::Work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ++idle_;
    bool woke = cv_.wait_for(lock, std::chrono::seconds(60), [&] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty() && (stopping_ || (!woke && alive_ > min_threads_))) break;
    if (jobs_.empty()) continue;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
  --alive_;
  // A thread that leaves while the pool runs detaches itself: nobody joins it.
  if (!stopping_) {
    auto self = std::find_if(threads_.begin(), threads_.end(),
                             [](const std::thread& t) { return t.get_id() == std::this_thread::get_id(); });
    if (self != threads_.end()) {
      self->detach();
      threads_.erase(self);
    }
  }
}

GuardedServer::GuardedServer(HttpLimits limits) : limits_(limits) {
  new_task_queue = [this] { return new ElasticThreadPool(limits_.min_workers, limits_.max_connections); };
}

void GuardedServer::UseTls(std::shared_ptr<TlsContext> tls) { tls_ = std::move(tls); }

void GuardedServer::WidenBacklog() {
  // listen() again on a listening socket only changes its backlog.
  if (svr_sock_ != INVALID_SOCKET) ::listen(svr_sock_, limits_.backlog);
}

bool GuardedServer::Admit(const std::string& address) {
  std::lock_guard lock(clients_mutex_);
  int& open = clients_[address];
  if (open >= limits_.max_connections_per_client) {
    if (open == 0) clients_.erase(address);
    return false;
  }
  ++open;
  return true;
}

void GuardedServer::Leave(const std::string& address) {
  std::lock_guard lock(clients_mutex_);
  auto it = clients_.find(address);
  if (it != clients_.end() && --it->second <= 0) clients_.erase(it);
}

namespace {
thread_local bool close_after_response = false;
}  // namespace

void CloseConnectionAfterResponse() { close_after_response = true; }

bool GuardedServer::process_and_close_socket(socket_t sock) {
  TlsSession tls;
  if (tls_) tls.ssl = SSL_new(tls_->get());
  DeadlineStream stream(sock, limits_, tls.ssl);
  std::string address;
  int port = 0;
  stream.get_remote_ip_and_port(address, port);
  // Over the cap a TLS client is closed before its handshake, unanswered:
  // finishing handshakes first would let one address hold a worker per
  // stalled handshake, which the cap is there to prevent.
  if (tls_ && (!tls.ssl || !Admit(address))) {
    CloseSocket(sock);
    return false;
  }
  if (tls_ && !Handshake(sock, tls.ssl, limits_, address)) {
    Leave(address);
    CloseSocket(sock);
    return false;
  }
  if (!tls_ && !Admit(address)) {
    static const std::string kBusy =
        R"({"error":{"code":"unavailable","message":"too many connections from your address; close some and retry"}})";
    std::string reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(kBusy.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + kBusy;
    (void)stream.write(reply.data(), reply.size());
    spdlog::debug("refused a connection from {}: over {} open connections", address,
                  limits_.max_connections_per_client);
    CloseSocket(sock);
    return false;
  }
  bool ok = true;
  for (int served = 0; served < limits_.keep_alive_max_requests && ok; ++served) {
    // Between requests the connection may idle, but not forever, and not
    // once the server is stopping.
    bool ready = false;
    for (int64_t waited = 0; waited < limits_.keep_alive_timeout_ms && svr_sock_ != INVALID_SOCKET; waited += 100) {
      if ((ready = stream.Buffered() ||
                   WaitFor(sock, POLLIN, std::min<int64_t>(100, limits_.keep_alive_timeout_ms - waited)))) {
        break;
      }
    }
    if (!ready || svr_sock_ == INVALID_SOCKET) break;
    stream.StartRequest();
    bool last = served + 1 == limits_.keep_alive_max_requests;
    bool closed = false;
    close_after_response = false;
    ok = process_request(stream, last, closed, [&](httplib::Request&) { stream.HeadersDone(); });
    if (closed || close_after_response) break;
  }
  Leave(address);
  if (tls.ssl && ok) (void)SSL_shutdown(tls.ssl);  // close_notify, best effort: never waited on
  CloseSocket(sock);
  return ok;
}

}  // namespace lakehouse::server
