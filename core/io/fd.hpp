#pragma once
// A non-blocking file descriptor on the io_context: calls a handler whenever it is readable
// (re-armed after each call) or once when it becomes writable. The one place that knows how to
// wait on a raw fd; netlink, inotify, raw sockets and FIFOs all use it.
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace vigil::core::io {

class Fd {
public:
  enum class Ownership { owned, borrowed };
  /// Takes ownership of `fd` (closed by the destructor), or with `borrowed` only watches it:
  /// the destructor stops watching and leaves the fd to its owner (a library's socket).
  Fd(boost::asio::io_context& ctx, int fd, Ownership ownership = Ownership::owned);
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const;

  /// Calls `handler` each time the fd is readable, until the Fd is destroyed. The handler must
  /// drain what it wants (the fd is non-blocking); it may destroy the Fd's owner.
  void on_readable(std::function<void()> handler);
  /// Calls `handler` once when the fd is writable.
  void when_writable(std::function<void()> handler);

  /// Stops watching the fd (the reactor forgets it: the kernel wakes nobody for it) until
  /// resume(); the fd stays open. The readable handler is not called meanwhile.
  void pause();
  /// Watches the fd again after pause(); a readable fd calls the handler at once. False (and
  /// still paused) when the reactor refused the fd.
  bool resume();
  bool paused() const { return paused_; }

  /// True while the Fd exists: a handler that may destroy its owner checks this afterwards.
  std::shared_ptr<const bool> alive() const { return alive_; }

private:
  void arm_read();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::function<void()> on_readable_;
  std::shared_ptr<bool> alive_;
  Ownership ownership_;
  bool paused_ = false;
  int held_ = -1; ///< the fd while paused (the reactor's handle is released)
};

} // namespace vigil::core::io
