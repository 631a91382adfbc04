#include "daemon/worker.hpp"

#include <pthread.h>
#include <signal.h>

namespace vigil::daemon {

namespace {

/// The worker takes no signals: HUP, TERM, INT and USR1 go to the loop thread's signal_set.
std::thread start_blocked(std::function<void()> body) {
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);
  std::thread t(std::move(body)); // inherits the blocked mask
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

} // namespace

Worker::Worker() : thread_(start_blocked([this] { loop(); })) {}

Worker::~Worker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

void Worker::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Worker::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_)
        return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

} // namespace vigil::daemon
