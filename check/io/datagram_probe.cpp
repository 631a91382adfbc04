// DNS_CHECK and UDP_CHECK over a connected UDP socket: ICMP errors (port or host unreachable)
// come back as the socket's errors.
#include <array>

#include "check/dns.hpp"
#include "check/io/detail.hpp"
#include "check/udp.hpp"
#include "core/io/asio_ip.hpp"

namespace vigil::check::io {

namespace {

/// Opens and connects `socket` to the target; nullopt on success.
std::optional<std::string> open(udp::socket& socket, const core::config::Checker& k,
                                const Target& t) {
  unsigned scope = 0;
  if (auto why = detail::prepare(socket, k, t, scope))
    return why;
  boost::system::error_code ec;
  socket.connect(core::io::endpoint<udp>(t.address, t.port, scope), ec); // no IO: sets the peer
  if (ec)
    return detail::error_text(ec);
  return std::nullopt;
}

} // namespace

asio::awaitable<ProbeResult> dns_probe(Prober::Impl& p, const core::config::Checker& k,
                                       const Target& t, Progress& progress) {
  ProbeResult r;
  udp::socket socket(co_await asio::this_coro::executor);
  if (auto why = open(socket, k, t)) {
    r.reason = *why;
    co_return r;
  }
  auto id = std::uint16_t(p.random());
  auto query = dns_query(id, k.dns_name, k.dns_type);
  progress.phase = "the query to be sent";
  auto [sec, sent] = co_await socket.async_send(asio::buffer(query), as_value);
  (void)sent;
  if (sec) {
    r.reason = "cannot send the query: " + detail::error_text(sec);
    co_return r;
  }
  progress.phase = "the " + dns_type_name(k.dns_type) + " reply";
  std::array<std::uint8_t, 4096> buf;
  for (;;) {
    auto [ec, n] = co_await socket.async_receive(asio::buffer(buf), as_value);
    if (ec) {
      r.reason = detail::error_text(ec);
      co_return r;
    }
    auto reply = std::span<const std::uint8_t>(buf.data(), n);
    auto why = dns_reply_problem(reply, id, k.dns_name, k.dns_type);
    if (why && *why == "reply id does not match the query")
      continue; // a late answer to an earlier query: keep waiting for ours
    if (why) {
      r.reason = *why;
      co_return r;
    }
    r.ok = true;
    r.reason = dns_type_name(k.dns_type) + " answer for " + k.dns_name;
    co_return r;
  }
}

asio::awaitable<ProbeResult> udp_probe(Prober::Impl& p, const core::config::Checker& k,
                                       const Target& t, Progress& progress) {
  ProbeResult r;
  udp::socket socket(co_await asio::this_coro::executor);
  if (auto why = open(socket, k, t)) {
    r.reason = *why;
    co_return r;
  }
  std::vector<std::uint8_t> payload;
  if (k.udp_payload) {
    payload = *k.udp_payload;
  } else {
    payload.resize(16); // keepalived: a random payload when none is configured
    for (auto& b : payload)
      b = std::uint8_t(p.random());
  }
  progress.phase = "the datagram to be sent";
  auto [sec, sent] = co_await socket.async_send(asio::buffer(payload), as_value);
  (void)sent;
  if (sec) {
    r.reason = "cannot send: " + detail::error_text(sec);
    co_return r;
  }
  progress.phase = k.require_reply ? "a reply" : "an ICMP error";
  std::array<std::uint8_t, 65536> buf;
  auto [ec, n] = co_await socket.async_receive(asio::buffer(buf), as_value);
  if (ec) {
    r.reason = detail::error_text(ec);
    co_return r;
  }
  if (k.require_reply) {
    if (auto why = udp_reply_problem(k, std::span<const std::uint8_t>(buf.data(), n))) {
      r.reason = *why;
      co_return r;
    }
  }
  r.ok = true;
  r.reason = "reply of " + std::to_string(n) + " bytes";
  co_return r;
}

} // namespace vigil::check::io
