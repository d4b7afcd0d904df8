#include "engine/watchdog.h"

namespace lakehouse::engine {

Watchdog::Watchdog() : thread_([this] { Loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::Watch(Connection* conn, std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    deadlines_[conn] = deadline;
  }
  cv_.notify_all();
}

void Watchdog::Forget(Connection* conn) {
  std::lock_guard lock(mutex_);
  deadlines_.erase(conn);
}

void Watchdog::Loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto it = deadlines_.begin(); it != deadlines_.end();) {
      if (it->second <= now) {
        it->first->Interrupt();
        it = deadlines_.erase(it);
      } else {
        next = std::min(next, it->second);
        ++it;
      }
    }
    cv_.wait_until(lock, next);
  }
}

}  // namespace lakehouse::engine
