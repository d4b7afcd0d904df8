#include "common/ticker.h"

namespace lakehouse {

Ticker::Ticker(std::chrono::milliseconds interval, std::function<void()> tick)
    : interval_(interval), tick_(std::move(tick)), thread_([this] {
        while (true) {
          {
            std::unique_lock lock(mutex_);
            if (stop_.wait_for(lock, interval_, [this] { return stopping_; })) return;
          }
          tick_();  // outside the lock: a stop request never waits on a tick to take the lock
        }
      }) {}

Ticker::~Ticker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

}  // namespace lakehouse
