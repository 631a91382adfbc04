#include "core/io/fd.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace vigil::core::io {

namespace asio = boost::asio;

struct Fd::Impl {
  Impl(asio::io_context& c, int fd) : sd(c, fd) {}
  asio::posix::stream_descriptor sd;
};

Fd::Fd(asio::io_context& ctx, int fd, Ownership ownership)
    : impl_(std::make_unique<Impl>(ctx, fd)), alive_(std::make_shared<bool>(true)),
      ownership_(ownership) {}

Fd::~Fd() {
  *alive_ = false;
  boost::system::error_code ec;
  if (paused_) {
    if (ownership_ == Ownership::owned)
      ::close(held_);
    return;
  }
  if (ownership_ == Ownership::borrowed) {
    impl_->sd.cancel(ec);
    impl_->sd.release(); // deregistered, not closed
  } else {
    impl_->sd.close(ec);
  }
}

int Fd::get() const {
  return paused_ ? held_ : impl_->sd.native_handle();
}

void Fd::on_readable(std::function<void()> handler) {
  on_readable_ = std::move(handler);
  arm_read();
}

void Fd::arm_read() {
  impl_->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                       [this, alive = alive_](const boost::system::error_code& ec) {
                         if (!*alive || ec)
                           return;
                         on_readable_();
                         if (*alive && !paused_)
                           arm_read();
                       });
}

void Fd::pause() {
  if (paused_)
    return;
  paused_ = true;
  boost::system::error_code ec;
  impl_->sd.cancel(ec); // the pending wait ends with operation_aborted
  held_ = impl_->sd.release();
}

bool Fd::resume() {
  if (!paused_)
    return true;
  boost::system::error_code ec;
  impl_->sd.assign(held_, ec);
  if (ec)
    return false; // still paused: the reactor refused it (e.g. out of memory)
  paused_ = false;
  if (on_readable_)
    arm_read();
  return true;
}

void Fd::when_writable(std::function<void()> handler) {
  impl_->sd.async_wait(
      asio::posix::stream_descriptor::wait_write,
      [alive = alive_, h = std::move(handler)](const boost::system::error_code& ec) {
        if (*alive && !ec)
          h();
      });
}

} // namespace vigil::core::io
