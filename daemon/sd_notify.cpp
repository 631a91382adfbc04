#include "daemon/sd_notify.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <spdlog/logger.h>

namespace vigil::daemon {

SdNotify::SdNotify(spdlog::logger& log) : log_(log) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (!env || !*env)
    return;
  std::string p = env;
  ::unsetenv("NOTIFY_SOCKET");
  if (p[0] != '/' && p[0] != '@') {
    log_.warn("NOTIFY_SOCKET '{}' is neither a path nor an abstract name; not notifying", p);
    return;
  }
  if (p.size() >= sizeof(sockaddr_un{}.sun_path)) {
    log_.warn("NOTIFY_SOCKET '{}' is too long; not notifying", p);
    return;
  }
  if (p[0] == '@')
    p[0] = '\0';
  path_ = p;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0)
    log_.warn("cannot open a socket for NOTIFY_SOCKET: {}", std::strerror(errno));
}

SdNotify::~SdNotify() {
  if (fd_ >= 0)
    ::close(fd_);
}

void SdNotify::send(std::string_view message) {
  if (fd_ < 0)
    return;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path_.data(), path_.size());
  auto len = socklen_t(offsetof(sockaddr_un, sun_path) + path_.size());
  if (::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa),
               len) < 0) {
    if (!warned_)
      log_.warn("sd_notify: cannot send to NOTIFY_SOCKET: {}", std::strerror(errno));
    warned_ = true;
    return;
  }
  log_.debug("sd_notify: {}", message);
}

void SdNotify::ready(std::string_view status) {
  send("READY=1\nMAINPID=" + std::to_string(::getpid()) + "\nSTATUS=" + std::string(status));
}

void SdNotify::reloading() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
              static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=reloading");
}

void SdNotify::stopping() {
  send("STOPPING=1\nSTATUS=stopping");
}

void SdNotify::status(std::string_view status) {
  send("STATUS=" + std::string(status));
}

} // namespace vigil::daemon
