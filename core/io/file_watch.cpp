#include "core/io/file_watch.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/io/netlink.hpp"

namespace vigil::core::io {

namespace asio = boost::asio;

struct FileWatch::Impl {
  Impl(asio::io_context& c, int fd) : sd(c, fd) {}
  asio::posix::stream_descriptor sd;
  alignas(inotify_event) std::array<char, 8192> buf{};
};

FileWatch::FileWatch(asio::io_context& ctx) : alive_(std::make_shared<bool>(true)) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "inotify_init1");
  impl_ = std::make_unique<Impl>(ctx, fd);
  arm();
}

FileWatch::~FileWatch() {
  *alive_ = false;
  boost::system::error_code ec;
  impl_->sd.close(ec);
}

std::optional<std::string> FileWatch::read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    out.append(buf, std::size_t(n));
    if (out.size() > (1 << 20))
      break; // a track file is a number, not a log
  }
  ::close(fd);
  return out;
}

std::optional<std::string> FileWatch::watch(const std::string& path, Handler on_change,
                                            std::string& why) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  int wd = ::inotify_add_watch(impl_->sd.native_handle(), dir.c_str(),
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
                                   IN_MOVED_FROM | IN_MODIFY);
  if (wd < 0) {
    why = "cannot watch " + dir + ": " + errno_text(errno);
    return std::nullopt;
  }
  watches_.emplace(wd, Watched{dir, name, path, std::move(on_change)});
  return read(path);
}

void FileWatch::arm() {
  impl_->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                       [this, alive = alive_](const boost::system::error_code& ec) {
                         if (!*alive || ec)
                           return;
                         on_readable();
                         if (*alive)
                           arm();
                       });
}

void FileWatch::on_readable() {
  for (;;) {
    ssize_t n = ::read(impl_->sd.native_handle(), impl_->buf.data(), impl_->buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    for (char* p = impl_->buf.data(); p < impl_->buf.data() + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->len == 0)
        continue;
      std::string name(ev->name);
      auto range = watches_.equal_range(ev->wd);
      for (auto it = range.first; it != range.second; ++it) {
        if (it->second.name != name)
          continue;
        bool gone = ev->mask & (IN_DELETE | IN_MOVED_FROM);
        auto alive = alive_;
        it->second.handler(gone ? std::nullopt : read(it->second.path));
        if (!*alive)
          return;
      }
    }
  }
}

} // namespace vigil::core::io
