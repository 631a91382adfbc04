#pragma once
// The probes behind every checker kind, as coroutines on the daemon's single io_context. A
// probe holds no policy: it runs one check against one target and says what happened; the
// schedule (check/schedule.hpp) and the service state (check/service.hpp) decide what it means.
//
// Every probe is bounded as a whole by the checker's connect_timeout (MISC_CHECK: misc_timeout):
// connect, TLS handshake, request and the whole reply. A server that accepts and never answers,
// or trickles bytes, fails when that time is up (keepalived #1817, #1822). No probe blocks the
// loop: sockets are non-blocking, names are never resolved, processes are reaped through pidfds.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "check/http.hpp"
#include "core/config/lvs.hpp"

#include "core/io/process.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::check::io {

/// Where a check goes: connect_ip/connect_port resolved against the real server.
struct Target {
  core::IpAddress address;
  std::uint16_t port = 0;
};

struct ProbeResult {
  bool ok = false;
  /// Why it failed ("connection refused", "timed out after 5 s waiting for the response", "HTTP
  /// status code 503"), or a detail of the success for debug logs.
  std::string reason;
  /// MISC_CHECK with misc_dynamic: the weight the exit status asks for (status - 2).
  std::optional<std::int64_t> dynamic_weight;
  /// HTTP: the last response's status code and body digest (for logs and the state dump).
  int http_status = 0;
  std::string digest;
  std::chrono::nanoseconds latency{};
};

/// What one check needs besides the checker and the target.
struct ProbeContext {
  /// HTTP_GET / SSL_GET: one compiled check per url of the checker (same order).
  std::span<const UrlCheck> urls;
  /// The url to check while recovering url by url (Schedule::recovery_step), else all.
  std::optional<std::size_t> only_url;
  /// MISC_CHECK: who runs the program (nullopt: vigild's own identity).
  std::optional<core::io::RunAs> run_as;
};

/// One HTTP(S) exchange as genhash shows it.
struct HttpFetch {
  std::optional<std::string> failure; ///< why it did not complete, or nullopt
  std::string request;                ///< the bytes sent
  std::unique_ptr<HttpResponseReader> response;
};

/// Shared by all probes: the TLS client context, the ICMP sockets, the process runner.
class Prober {
public:
  Prober(boost::asio::io_context& ctx, core::io::ProcessRunner& runner);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  /// The TLS context for SSL_GET from the `SSL` block (nullopt or empty: no client
  /// certificate, server certificates not verified, as keepalived). With `ca` the server's
  /// certificate must verify against it. Returns why the files cannot be used, or nullopt.
  std::optional<std::string> configure_tls(const std::optional<core::config::SslContext>& ssl);

  /// Runs one check. Never throws for network or server failures (they are results).
  boost::asio::awaitable<ProbeResult> run(const core::config::Checker& checker,
                                          const Target& target, const ProbeContext& context);

  /// One GET of `path` as HTTP_GET/SSL_GET would send it (`checker` gives the kind, protocol,
  /// SNI and source options), bounded by its connect_timeout. genhash is built on this.
  boost::asio::awaitable<HttpFetch> fetch(const core::config::Checker& checker,
                                          const Target& target, std::string path,
                                          std::optional<std::string> virtualhost, bool keep_body);

  /// Probes running now.
  std::size_t in_flight() const;

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace vigil::check::io
