// Whether the server is doing work for a client right now: requests and
// ingests (uploads, the inbox, imports) in flight, and when the last one
// started or ended. Background services
// that must not slow searches down (the autotune agent) wait while it is
// busy. Owned by the Runtime; the HTTP layer reports to it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lakehouse {

class ForegroundLoad {
 public:
  void Begin() {
    in_flight_.fetch_add(1);
    Touch();
  }
  void End() {
    in_flight_.fetch_sub(1);
    Touch();
  }
  // A request is in flight, or one was within `quiet`.
  bool Busy(std::chrono::milliseconds quiet) const {
    return in_flight_.load() > 0 || NowMs() - last_ms_.load() < quiet.count();
  }
  int in_flight() const { return in_flight_.load(); }

  // Begin now, End when it goes out of scope; nothing when `load` is null.
  class Scope {
   public:
    explicit Scope(ForegroundLoad* load) : load_(load) {
      if (load_) load_->Begin();
    }
    ~Scope() {
      if (load_) load_->End();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ForegroundLoad* load_;
  };

 private:
  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void Touch() { last_ms_.store(NowMs()); }
  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> last_ms_{-1000000000};
};

}  // namespace lakehouse
