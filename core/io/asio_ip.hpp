#pragma once
// Conversions between vigil's address type and Asio's, for the io code that talks to sockets.
// Include only from .cpp files (it pulls in Asio).
#include <cstdint>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/basic_endpoint.hpp>

#include "core/ip.hpp"

namespace vigil::core::io {

inline boost::asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) {
    boost::asio::ip::address_v4::bytes_type b;
    std::copy(a.data(), a.data() + 4, b.begin());
    return boost::asio::ip::address_v4(b);
  }
  boost::asio::ip::address_v6::bytes_type b;
  std::copy(a.data(), a.data() + 16, b.begin());
  return boost::asio::ip::address_v6(b);
}

/// An endpoint of protocol `P` (tcp, udp, icmp) for `a`:`port`; `scope` is the IPv6 scope id
/// (an interface index, for link-local addresses).
template <class P>
boost::asio::ip::basic_endpoint<P> endpoint(const IpAddress& a, std::uint16_t port,
                                            unsigned scope = 0) {
  auto addr = to_asio(a);
  if (addr.is_v6() && scope != 0) {
    auto v6 = addr.to_v6();
    v6.scope_id(scope);
    addr = v6;
  }
  return {addr, port};
}

} // namespace vigil::core::io
