#pragma once
// PING_CHECK's ICMP echo: one raw socket per address family shared by every probe (replies are
// matched to their probe by sequence number, so 40,000 checked servers need two sockets, not
// 40,000), plus a private socket for a probe with its own source options. Include only from
// check/io/*.cpp.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/config/lvs.hpp"
#include "core/ip.hpp"

namespace boost::asio {
class io_context;
}
namespace vigil::core::io {
class Fd;
}

namespace vigil::check::io {

class IcmpEngine {
public:
  /// Opens a raw ICMP (IPv4) or ICMPv6 socket with the source options of `options` (bindto,
  /// bind_if, fwmark; nullptr: none). Throws std::system_error when it cannot.
  IcmpEngine(boost::asio::io_context& ctx, core::Family family,
             const core::config::Checker* options = nullptr);
  ~IcmpEngine();
  IcmpEngine(const IcmpEngine&) = delete;
  IcmpEngine& operator=(const IcmpEngine&) = delete;

  /// Sends one echo request to `to` and completes when its reply arrives (nullopt) or an ICMP
  /// error names it ("destination unreachable"). The caller bounds the wait; cancelling it is
  /// clean.
  boost::asio::awaitable<std::optional<std::string>> echo(const core::IpAddress& to,
                                                          unsigned scope = 0);

  struct Waiter;

private:
  void on_readable();

  boost::asio::io_context& ctx_;
  core::Family family_;
  std::unique_ptr<core::io::Fd> fd_;
  std::uint16_t ident_;
  std::uint16_t next_seq_ = 0;
  std::map<std::uint16_t, Waiter*> waiting_;
};

} // namespace vigil::check::io
