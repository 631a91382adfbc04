#pragma once
// The one helper thread vigild has: it runs jobs that would stall the event loop and touch
// nothing the loop owns (today: reading, parsing and validating a configuration on SIGHUP).
// A job hands its result back by posting to the io_context, which is thread-safe; the loop
// itself never waits for the worker.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace vigil::daemon {

class Worker {
public:
  Worker();
  /// Waits for the job that is running (if any) and drops the queued ones.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Queues `job` to run on the worker thread; jobs run one at a time, in order.
  void post(std::function<void()> job);

private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_; ///< last: started once the rest exists
};

} // namespace vigil::daemon
