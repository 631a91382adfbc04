#include "core/io/file_watch.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <boost/asio/io_context.hpp>

#include "core/io/fd.hpp"
#include "core/io/netlink.hpp"

namespace vigil::core::io {

namespace asio = boost::asio;

FileWatch::FileWatch(asio::io_context& ctx) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "inotify_init1");
  fd_ = std::make_unique<Fd>(ctx, fd);
  fd_->on_readable([this] { on_readable(); });
}

FileWatch::~FileWatch() = default;

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
  int wd = ::inotify_add_watch(fd_->get(), dir.c_str(),
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
                                   IN_MOVED_FROM | IN_MODIFY);
  if (wd < 0) {
    why = "cannot watch " + dir + ": " + errno_text(errno);
    return std::nullopt;
  }
  watches_.emplace(wd, Watched{dir, name, path, std::move(on_change)});
  return read(path);
}

void FileWatch::on_readable() {
  alignas(inotify_event) std::array<char, 8192> buf{};
  for (;;) {
    ssize_t n = ::read(fd_->get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    for (char* p = buf.data(); p < buf.data() + n;) {
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
        auto alive = fd_->alive();
        it->second.handler(gone ? std::nullopt : read(it->second.path));
        if (!*alive)
          return;
      }
    }
  }
}

} // namespace vigil::core::io
