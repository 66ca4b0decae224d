#include "promorec/eventlog/commit_pool.h"

#include "promorec/base/thread_name.h"

namespace promorec::eventlog {

CommitPool::CommitPool(std::size_t threads) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      base::SetThreadName("log-commit");
      Work();
    });
}

CommitPool::~CommitPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

bool CommitPool::Claim(Job** job, std::size_t* index) {
  if (jobs_.empty()) return false;
  *job = jobs_.front();
  *index = (*job)->next++;
  if ((*job)->next == (*job)->count) jobs_.pop_front();
  return true;
}

void CommitPool::Finish(Job* job, std::size_t tasks) {
  job->done += tasks;
  // Notified under the lock: the caller may destroy the job as soon as it
  // sees the count complete.
  if (job->done == job->count) job->finished.notify_one();
}

void CommitPool::RunTasks(std::size_t count, void (*call)(void*, std::size_t), void* context) {
  if (count == 0) return;
  Job job;
  job.count = count;
  job.call = call;
  job.context = context;
  if (count > 1) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(&job);
    }
    for (std::size_t i = 1; i < count && i <= threads_.size(); ++i) work_cv_.notify_one();
  }
  call(context, 0);
  std::size_t ran = 1;
  std::unique_lock lock(mu_);
  // Indices no pool thread has taken yet are the caller's: it never waits
  // for a task that has not started.
  while (job.next < job.count) {
    const std::size_t index = job.next++;
    if (job.next == job.count) std::erase(jobs_, &job);
    lock.unlock();
    call(context, index);
    ++ran;
    lock.lock();
  }
  Finish(&job, ran);
  job.finished.wait(lock, [&job] { return job.done == job.count; });
}

void CommitPool::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job* job = nullptr;
    std::size_t index = 0;
    if (!Claim(&job, &index)) continue;
    lock.unlock();
    job->call(job->context, index);
    lock.lock();
    Finish(job, 1);
  }
}

}  // namespace promorec::eventlog
