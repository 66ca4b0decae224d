// Persistent helper threads that let one append commit on several shards at
// once: each shard makes its records durable with its own fdatasync, and
// running them side by side costs one fsync of latency instead of one per
// shard. Starting a thread per append for that costs more CPU than the
// rest of the append; these threads are started once and then woken.
//
// Thread-safety: Run may be called from many threads at once. The pool
// must not be destroyed while a Run is in progress.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace promorec::eventlog {

class CommitPool {
 public:
  explicit CommitPool(std::size_t threads);
  ~CommitPool();
  CommitPool(const CommitPool&) = delete;
  CommitPool& operator=(const CommitPool&) = delete;

  // Calls task(i) once for every i in [0, count): task(0) and whatever no
  // pool thread has taken on the calling thread, the rest on the pool's.
  // Returns when every call has returned. Tasks must not call Run.
  template <typename Task>
  void Run(std::size_t count, Task& task) {
    RunTasks(
        count, [](void* context, std::size_t i) { (*static_cast<Task*>(context))(i); }, &task);
  }

 private:
  struct Job {
    std::size_t count = 0;
    std::size_t next = 1;  // the next index to hand out; 0 is the caller's
    std::size_t done = 0;
    void (*call)(void* context, std::size_t i) = nullptr;
    void* context = nullptr;
    std::condition_variable finished;
  };

  void RunTasks(std::size_t count, void (*call)(void*, std::size_t), void* context);
  // Under mu_: the next index of the oldest job that has one, or false.
  bool Claim(Job** job, std::size_t* index);
  // Under mu_: records a finished task.
  void Finish(Job* job, std::size_t tasks);
  void Work();

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Job*> jobs_;  // jobs with indices left to hand out
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace promorec::eventlog
