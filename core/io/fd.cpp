#include "core/io/fd.hpp"

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
  if (ownership_ == Ownership::borrowed) {
    impl_->sd.cancel(ec);
    impl_->sd.release(); // deregistered, not closed
  } else {
    impl_->sd.close(ec);
  }
}

int Fd::get() const {
  return impl_->sd.native_handle();
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
                         if (*alive)
                           arm_read();
                       });
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
