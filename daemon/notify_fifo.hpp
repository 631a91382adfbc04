#pragma once
// keepalived's notify FIFOs (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo): ordered lines
// such as `INSTANCE "VI_1" MASTER 100` for a reader program. Writing never blocks: when the
// reader is slow the lines wait in memory (bounded) until the pipe has room.
#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "core/config/global_defs.hpp"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}
namespace vigil::core::io {
class Fd;
}

namespace vigil::daemon {

class NotifyFifo {
public:
  /// Creates the FIFO if it does not exist (mode 0600, owned as configured) and opens it
  /// read-write, so writing never fails for want of a reader. Throws std::system_error.
  NotifyFifo(boost::asio::io_context& ctx, spdlog::logger& log,
             const core::config::NotifyFifo& config);
  ~NotifyFifo();
  NotifyFifo(const NotifyFifo&) = delete;
  NotifyFifo& operator=(const NotifyFifo&) = delete;

  /// Queues `line` (a newline is added) and writes what the pipe takes now.
  void write(std::string line);

  const std::string& path() const { return path_; }
  std::size_t queued() const { return queue_.size(); }
  std::uint64_t dropped() const { return dropped_; }

private:
  void flush();
  void wait_writable();

  std::unique_ptr<core::io::Fd> fd_;
  spdlog::logger& log_;
  std::string path_;
  std::deque<std::string> queue_;
  std::size_t offset_ = 0; ///< bytes of queue_.front() already written
  bool waiting_ = false;
  std::uint64_t dropped_ = 0;
};

} // namespace vigil::daemon
