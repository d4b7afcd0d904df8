// Threads the kernel confines to the buckets' data folders (Landlock): user
// SQL, and the DuckDB worker threads started from them, may read only below
// `read_dirs` and write only below `write_dirs`. A symbolic link planted in a
// bucket is then refused when DuckDB opens it, whatever path string led
// there, and however late in a query it is opened: string checks before a
// query runs can be raced, the kernel's check at open cannot.
//
// Without Landlock (kernel older than 5.13, or the LSM off) the threads run
// unconfined and confined() says why; the string checks (sql_reads.h) remain.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lakehouse::engine {

struct Confinement {
  std::vector<std::filesystem::path> read_dirs;
  std::vector<std::filesystem::path> write_dirs;  // read and write (spill, export spool)
};

class ConfinedPool {
 public:
  // Threads are started from the calling thread, which must not be confined
  // itself (a confined thread's children can only be confined further).
  ConfinedPool(Confinement confinement, int threads);
  ~ConfinedPool();
  ConfinedPool(const ConfinedPool&) = delete;
  ConfinedPool& operator=(const ConfinedPool&) = delete;

  // True when every thread is confined; else why not (for /health).
  bool confined() const { return why_not_.empty(); }
  const std::string& why_not() const { return why_not_; }

  // Runs `work` on one of the threads and waits for its answer.
  template <typename F>
  auto Run(F work) -> decltype(work()) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto answer = task.get_future();
    Post([&task] { task(); });
    return answer.get();
  }

 private:
  // Shared with the threads, which may outlive the pool by a moment when
  // its last owner was a job on one of them.
  struct Worker {
    std::condition_variable wake;
    std::function<void()> job;  // GUARDED_BY(Queue::mutex)
  };
  // The thread that went idle last takes the next job: its caches (and
  // DuckDB's state for the connection it ran) are still warm.
  struct Queue {
    std::mutex mutex;
    std::deque<std::function<void()>> jobs;  // waiting for a thread; GUARDED_BY(mutex)
    std::vector<Worker*> idle;               // a stack; GUARDED_BY(mutex)
    bool stopping = false;                   // GUARDED_BY(mutex)
  };
  void Post(std::function<void()> job);
  static void Loop(const std::shared_ptr<Queue>& queue);

  std::string why_not_;  // set before the threads serve anything
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::vector<std::thread> threads_;
};

// Confines the calling thread (and threads it starts later) to `c`. Empty
// when done; else why it could not be (the thread is left as it was).
std::string ConfineThisThread(const Confinement& c);

}  // namespace lakehouse::engine
