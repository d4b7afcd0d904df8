#include "server/guarded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

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
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, const HttpLimits& limits) : sock_(sock), limits_(limits) {}

  void StartRequest() {
    phase_ = Phase::kHeaders;
    header_deadline_ = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
  }
  void HeadersDone() {
    phase_ = Phase::kBody;
    body_started_ = Clock::now();
    body_bytes_ = 0;
  }

  bool is_readable() const override { return WaitFor(sock_, POLLIN, ReadWaitMs()); }
  bool is_writable() const override { return WaitFor(sock_, POLLOUT, limits_.write_timeout_ms); }

  ssize_t read(char* ptr, size_t size) override {
    if (TooSlow()) return -1;
    if (!WaitFor(sock_, POLLIN, ReadWaitMs())) return -1;
    ssize_t n;
    do {
      n = ::recv(sock_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0 && phase_ == Phase::kBody) body_bytes_ += n;
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!WaitFor(sock_, POLLOUT, limits_.write_timeout_ms)) return -1;
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
  Phase phase_ = Phase::kHeaders;
  Clock::time_point header_deadline_{};
  Clock::time_point body_started_{};
  int64_t body_bytes_ = 0;
};

void CloseSocket(int sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
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
  DeadlineStream stream(sock, limits_);
  std::string address;
  int port = 0;
  stream.get_remote_ip_and_port(address, port);
  if (!Admit(address)) {
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
      if ((ready = WaitFor(sock, POLLIN, std::min<int64_t>(100, limits_.keep_alive_timeout_ms - waited)))) break;
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
  CloseSocket(sock);
  return ok;
}

}  // namespace lakehouse::server
