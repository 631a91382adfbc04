#pragma once
// The native status endpoint (--status-listen ADDR:PORT): HTTP/1.1 on the daemon's io_context,
// Boost.Beast's parser with its limits. GET (or HEAD) /metrics (Prometheus text 0.0.4),
// /status (JSON) and /healthz; 404 for other paths, 405 for other methods. Hostile clients
// cannot hurt the daemon: bounded request size (8 KiB of headers, no body), a deadline for
// every request (slowloris) and for the idle wait between requests, and a cap on connections
// (at the cap the oldest one is closed, so a scrape gets through hundreds of idle clients).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace vigil::daemon {

struct StatusPages {
  /// Rendered in parts across turns of the event loop (a huge page must not hold the timers).
  std::function<boost::asio::awaitable<std::string>()> metrics;
  std::function<boost::asio::awaitable<std::string>()> status; ///< in parts too
  /// healthy, and the line /healthz answers ("ok", "stopping", ...)
  std::function<std::pair<bool, std::string>()> health;
};

struct StatusLimits {
  std::size_t max_connections = 256;
  std::size_t header_bytes = 8192;
  unsigned request_seconds = 10; ///< a whole request (and the wait for it) within this
};

class StatusServer {
public:
  /// Binds and listens (throws std::system_error saying why when it cannot), then serves.
  StatusServer(boost::asio::io_context& ctx, spdlog::logger& log, const std::string& address,
               std::uint16_t port, StatusPages pages, StatusLimits limits = {});
  ~StatusServer();
  /// Stops accepting and closes every connection.
  void stop();
  std::size_t connections() const;
  std::uint64_t requests() const;

private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

} // namespace vigil::daemon
