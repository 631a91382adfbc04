#pragma once
// Internal to check/io: the Prober's state and the helpers every probe uses. Pulls in Asio;
// include only from check/io/*.cpp.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "check/io/probe.hpp"

namespace vigil::check::io {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
constexpr auto as_value = asio::as_tuple(asio::use_awaitable);

class IcmpEngine;

struct Prober::Impl {
  Impl(asio::io_context& c, core::io::ProcessRunner& r);
  ~Impl();
  asio::io_context& ctx;
  core::io::ProcessRunner& runner;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<IcmpEngine> icmp4;
  std::unique_ptr<IcmpEngine> icmp6;
  std::mt19937 random{std::random_device{}()};
  std::size_t in_flight = 0;
};

/// What a probe is doing, for the message when the timeout ends it.
struct Progress {
  std::string phase = "connecting";
};

namespace detail {

/// "10.0.0.2:80" or "[fd00::2]:80".
std::string endpoint_text(const Target& t);
/// "5 s", "0.5 s".
std::string seconds_text(std::chrono::nanoseconds d);
/// The errno text of `ec` in lower case, as operators read it in logs.
std::string error_text(const boost::system::error_code& ec);

/// The interface index of `name`, or 0 (and `why` set) when it does not exist.
unsigned interface_index(const std::string& name, std::string& why);

/// Opens `socket` for the target's family and applies the checker's source options (bindto,
/// bind_port, bind_if via SO_BINDTODEVICE, fwmark via SO_MARK). `scope` gets the interface
/// index for an IPv6 link-local target. Returns why it cannot, or nullopt.
template <class Socket>
std::optional<std::string> prepare(Socket& socket, const core::config::Checker& k, const Target& t,
                                   unsigned& scope);

/// Connects a TCP socket prepared as above; nullopt on success, else the reason.
asio::awaitable<std::optional<std::string>>
connect(tcp::socket& socket, const core::config::Checker& k, const Target& t);

} // namespace detail

// The probe of each kind; run() bounds them by the checker's timeout.
asio::awaitable<ProbeResult> tcp_probe(Prober::Impl& p, const core::config::Checker& k,
                                       const Target& t, Progress& progress);
asio::awaitable<HttpFetch> http_fetch(Prober::Impl& p, const core::config::Checker& k,
                                      const Target& t, const std::string& path,
                                      const std::optional<std::string>& virtualhost, bool keep_body,
                                      Progress& progress);
asio::awaitable<ProbeResult> http_probe(Prober::Impl& p, const core::config::Checker& k,
                                        const Target& t, const UrlCheck& url, Progress& progress);
asio::awaitable<ProbeResult> smtp_probe(Prober::Impl& p, const core::config::Checker& k,
                                        const Target& t, Progress& progress);
asio::awaitable<ProbeResult> dns_probe(Prober::Impl& p, const core::config::Checker& k,
                                       const Target& t, Progress& progress);
asio::awaitable<ProbeResult> udp_probe(Prober::Impl& p, const core::config::Checker& k,
                                       const Target& t, Progress& progress);
asio::awaitable<ProbeResult> ping_probe(Prober::Impl& p, const core::config::Checker& k,
                                        const Target& t, Progress& progress);

} // namespace vigil::check::io
