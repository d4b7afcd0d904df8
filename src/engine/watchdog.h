// Cancels statements that run past their deadline: one thread for all the
// connections it watches. Thread-safe.
//
//   Watchdog dog;
//   { Watchdog::Scope guard(dog, conn, std::chrono::seconds(30)); conn.Query(...); }
//
// A statement cut short fails with kTimeout (see Connection::Interrupt for
// what DuckDB cannot cut short).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "engine/database.h"

namespace lakehouse::engine {

class Watchdog {
 public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void Watch(Connection* conn, std::chrono::steady_clock::time_point deadline);
  void Forget(Connection* conn);

  // Watches `conn` for as long as it lives.
  class Scope {
   public:
    Scope(Watchdog& dog, Connection& conn, std::chrono::milliseconds limit) : dog_(dog), conn_(&conn) {
      dog_.Watch(conn_, std::chrono::steady_clock::now() + limit);
    }
    ~Scope() { dog_.Forget(conn_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Watchdog& dog_;
    Connection* conn_;
  };

 private:
  void Loop();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<Connection*, std::chrono::steady_clock::time_point> deadlines_;  // GUARDED_BY(mutex_)
  bool stop_ = false;                                                         // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace lakehouse::engine
