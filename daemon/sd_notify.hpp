#pragma once
// sd_notify(3) without libsystemd: one datagram per message to the AF_UNIX socket named by
// NOTIFY_SOCKET (a path, or '@' for the abstract namespace). Unlike keepalived, no check that
// the parent is systemd: any supervisor that sets NOTIFY_SOCKET gets the messages. The variable
// is removed from the environment so scripts do not inherit it. Sending never blocks (a
// non-blocking socket; a full or missing receiver costs one logged warning).
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace vigil::daemon {

class SdNotify {
public:
  explicit SdNotify(spdlog::logger& log);
  ~SdNotify();
  SdNotify(const SdNotify&) = delete;
  SdNotify& operator=(const SdNotify&) = delete;

  bool enabled() const { return fd_ >= 0; }
  /// Sends "A=1\nB=2" as one datagram.
  void send(std::string_view message);

  void ready(std::string_view status);
  void reloading();
  void stopping();
  void status(std::string_view status);

private:
  spdlog::logger& log_;
  int fd_ = -1;
  std::string path_; ///< with the leading NUL of an abstract name
  bool warned_ = false;
};

} // namespace vigil::daemon
