#include "check/io/probe.hpp"

#include <net/if.h>
#include <sys/socket.h>

#include <cctype>
#include <cstring>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "check/io/detail.hpp"
#include "check/io/icmp.hpp"
#include "core/io/asio_ip.hpp"

namespace vigil::check::io {

using namespace asio::experimental::awaitable_operators;
using core::config::CheckerKind;

Prober::Impl::Impl(asio::io_context& c, core::io::ProcessRunner& r) : ctx(c), runner(r) {}
Prober::Impl::~Impl() = default;

namespace detail {

std::string endpoint_text(const Target& t) {
  return t.address.is_v4() ? fmt::format("{}:{}", t.address.to_string(), t.port)
                           : fmt::format("[{}]:{}", t.address.to_string(), t.port);
}

std::string seconds_text(std::chrono::nanoseconds d) {
  return fmt::format("{:g} s", std::chrono::duration<double>(d).count());
}

std::string error_text(const boost::system::error_code& ec) {
  std::string m = ec.message();
  if (!m.empty())
    m[0] = char(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

unsigned interface_index(const std::string& name, std::string& why) {
  unsigned i = ::if_nametoindex(name.c_str());
  if (i == 0)
    why = "interface " + name + " does not exist";
  return i;
}

template <class Socket>
std::optional<std::string> prepare(Socket& socket, const core::config::Checker& k, const Target& t,
                                   unsigned& scope) {
  using Protocol = typename Socket::protocol_type;
  boost::system::error_code ec;
  socket.open(t.address.is_v4() ? Protocol::v4() : Protocol::v6(), ec);
  if (ec)
    return "cannot open a socket: " + error_text(ec);
  int fd = socket.native_handle();
  if (k.fwmark) {
    int mark = int(*k.fwmark);
    if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)
      return "cannot set fwmark " + std::to_string(*k.fwmark) + ": " + std::strerror(errno);
  }
  if (k.bind_if) {
    std::string why;
    scope = interface_index(*k.bind_if, why);
    if (scope == 0)
      return why;
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, k.bind_if->c_str(),
                     socklen_t(k.bind_if->size())) != 0)
      return "cannot bind to interface " + *k.bind_if + ": " + std::strerror(errno);
  }
  if (!t.address.is_v6() || !t.address.is_link_local())
    scope = 0;
  if (k.bindto || k.bind_port) {
    socket.set_option(asio::socket_base::reuse_address(true), ec);
    core::IpAddress from = k.bindto.value_or(t.address.is_v4() ? core::IpAddress::v4(0)
                                                               : *core::IpAddress::parse("::"));
    if (from.family() != t.address.family())
      return "bindto " + from.to_string() + " is not of the target's family";
    socket.bind(core::io::endpoint<Protocol>(from, k.bind_port.value_or(0), scope), ec);
    if (ec)
      return "cannot bind to " + from.to_string() + ": " + error_text(ec);
  }
  return std::nullopt;
}

template std::optional<std::string> prepare(tcp::socket&, const core::config::Checker&,
                                            const Target&, unsigned&);
template std::optional<std::string> prepare(udp::socket&, const core::config::Checker&,
                                            const Target&, unsigned&);

asio::awaitable<std::optional<std::string>>
connect(tcp::socket& socket, const core::config::Checker& k, const Target& t) {
  unsigned scope = 0;
  if (auto why = prepare(socket, k, t, scope))
    co_return why;
  auto [ec] =
      co_await socket.async_connect(core::io::endpoint<tcp>(t.address, t.port, scope), as_value);
  if (ec)
    co_return error_text(ec);
  co_return std::nullopt;
}

} // namespace detail

asio::awaitable<ProbeResult> tcp_probe(Prober::Impl&, const core::config::Checker& k,
                                       const Target& t, Progress& progress) {
  tcp::socket socket(co_await asio::this_coro::executor);
  ProbeResult r;
  progress.phase = "the connection";
  if (auto why = co_await detail::connect(socket, k, t)) {
    r.reason = *why;
    co_return r;
  }
  r.ok = true;
  r.reason = "connected";
  co_return r;
}

namespace {

/// MISC_CHECK: runs the program; exit 0 passes, 1 fails; with misc_dynamic 2..255 passes and
/// asks for weight status - 2 (keepalived.conf(5)); a timeout or a signal fails.
asio::awaitable<ProbeResult> misc_probe(Prober::Impl& p, const core::config::Checker& k,
                                        const ProbeContext& c) {
  ProbeResult r;
  auto timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(k.misc_timeout.value_or(k.delay_loop));
  auto result = co_await p.runner.run(k.misc_path->argv, c.run_as, timeout);
  using Kind = core::io::ProcessResult::Kind;
  if (result.kind == Kind::exited && result.code == 0) {
    r.ok = true;
    r.reason = "exited with status 0";
  } else if (result.kind == Kind::exited && k.misc_dynamic && result.code >= 2) {
    r.ok = true;
    r.dynamic_weight = result.code - 2;
    r.reason = fmt::format("exited with status {} (weight {})", result.code, result.code - 2);
  } else {
    r.reason = core::io::describe(result);
  }
  co_return r;
}

ProbeResult timed_out(const core::config::Checker& k, const Progress& progress) {
  ProbeResult r;
  auto limit = std::chrono::duration_cast<std::chrono::nanoseconds>(k.connect_timeout);
  if (k.kind == CheckerKind::udp_check && !k.require_reply) {
    // No reply required: only an ICMP error (port or host unreachable) fails the check.
    r.ok = true;
    r.reason = "no ICMP error within " + detail::seconds_text(limit);
    return r;
  }
  r.reason = "timed out after " + detail::seconds_text(limit) + " waiting for " + progress.phase;
  return r;
}

} // namespace

Prober::Prober(asio::io_context& ctx, core::io::ProcessRunner& runner)
    : impl_(std::make_unique<Impl>(ctx, runner)) {}

Prober::~Prober() = default;

std::size_t Prober::in_flight() const {
  return impl_->in_flight;
}

std::optional<std::string>
Prober::configure_tls(const std::optional<core::config::SslContext>& ssl) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls->set_verify_mode(asio::ssl::verify_none);
  if (ssl) {
    if (ssl->password) {
      std::string pw = *ssl->password;
      tls->set_password_callback(
          [pw](std::size_t, asio::ssl::context::password_purpose) { return pw; });
    }
    if (ssl->ca) {
      tls->load_verify_file(*ssl->ca, ec);
      if (ec)
        return "SSL ca " + *ssl->ca + ": " + detail::error_text(ec);
      tls->set_verify_mode(asio::ssl::verify_peer);
    }
    if (ssl->certificate) {
      tls->use_certificate_chain_file(*ssl->certificate, ec);
      if (ec)
        return "SSL certificate " + *ssl->certificate + ": " + detail::error_text(ec);
    }
    if (ssl->key) {
      tls->use_private_key_file(*ssl->key, asio::ssl::context::pem, ec);
      if (ec)
        return "SSL key " + *ssl->key + ": " + detail::error_text(ec);
    }
  }
  impl_->tls = std::move(tls);
  return std::nullopt;
}

asio::awaitable<HttpFetch> Prober::fetch(const core::config::Checker& k, const Target& t,
                                         std::string path, std::optional<std::string> virtualhost,
                                         bool keep_body) {
  Progress progress;
  asio::steady_timer timer(impl_->ctx, k.connect_timeout);
  auto outcome = co_await (http_fetch(*impl_, k, t, path, virtualhost, keep_body, progress) ||
                           timer.async_wait(as_value));
  if (outcome.index() == 0)
    co_return std::get<0>(std::move(outcome));
  HttpFetch f;
  f.failure = timed_out(k, progress).reason;
  co_return f;
}

asio::awaitable<ProbeResult> Prober::run(const core::config::Checker& k, const Target& t,
                                         const ProbeContext& c) {
  Impl& p = *impl_;
  ++p.in_flight;
  struct Done {
    Impl& p;
    ~Done() { --p.in_flight; }
  } done{p};
  auto started = std::chrono::steady_clock::now();
  ProbeResult result;
  // One kind's exchange under the checker's timeout.
  auto bounded = [&](asio::awaitable<ProbeResult> op,
                     Progress& progress) -> asio::awaitable<ProbeResult> {
    asio::steady_timer timer(p.ctx, k.connect_timeout);
    auto outcome = co_await (std::move(op) || timer.async_wait(as_value));
    if (outcome.index() == 0)
      co_return std::get<0>(std::move(outcome));
    co_return timed_out(k, progress);
  };
  Progress progress;
  switch (k.kind) {
  case CheckerKind::tcp_check:
    result = co_await bounded(tcp_probe(p, k, t, progress), progress);
    break;
  case CheckerKind::http_get:
  case CheckerKind::ssl_get: {
    std::size_t first = c.only_url.value_or(0);
    std::size_t last = c.only_url ? first + 1 : c.urls.size();
    for (std::size_t i = first; i < last && i < c.urls.size(); ++i) {
      Progress each;
      result = co_await bounded(http_probe(p, k, t, c.urls[i], each), each);
      if (!result.ok) {
        if (c.urls.size() > 1)
          result.reason =
              "url " + std::to_string(i + 1) + " (" + c.urls[i].url().path + "): " + result.reason;
        break;
      }
    }
    break;
  }
  case CheckerKind::smtp_check:
    result = co_await bounded(smtp_probe(p, k, t, progress), progress);
    break;
  case CheckerKind::dns_check:
    result = co_await bounded(dns_probe(p, k, t, progress), progress);
    break;
  case CheckerKind::udp_check:
    result = co_await bounded(udp_probe(p, k, t, progress), progress);
    break;
  case CheckerKind::ping_check:
    result = co_await bounded(ping_probe(p, k, t, progress), progress);
    break;
  case CheckerKind::misc_check:
    result = co_await misc_probe(p, k, c);
    break;
  case CheckerKind::file_check:
    result.reason = "FILE_CHECK has no probe (it follows its file)";
    break;
  }
  result.latency = std::chrono::steady_clock::now() - started;
  co_return result;
}

} // namespace vigil::check::io
