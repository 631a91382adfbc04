#pragma once
// The gratuitous ARP / unsolicited NA schedule of VRRP masters: frames for an instance's
// addresses on the interfaces they live on, sent in bursts spaced as global_defs says.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include <spdlog/fwd.h>

#include "core/config/global_defs.hpp"
#include "core/ip.hpp"
#include "vrrp/io/announcer.hpp"
#include "vrrp/reload.hpp"

namespace vigil::core::io {
class Interfaces;
} // namespace vigil::core::io

namespace vigil::daemon {

class Garps {
public:
  /// The link-local address an unsolicited NA leaves from, on an interface (nullopt: none).
  using LinkLocal = std::function<std::optional<core::IpAddress>(int ifindex)>;

  Garps(boost::asio::io_context& ctx, core::io::Interfaces& interfaces, spdlog::logger& log);

  /// Announces `vips` (each on its interface; those without one, or on an interface without a
  /// MAC, are skipped): a gratuitous ARP per IPv4 address, an unsolicited NA per IPv6 address
  /// (from the interface's link-local address, else `fallback_ifindex`'s: a VMAC has none; the
  /// Router flag when the host forwards IPv6 there, as keepalived), `rounds` times over, spaced
  /// by vrrp_garp_interval / vrrp_gna_interval. `only`: just these addresses. The first frame
  /// of each interface leaves inside this call.
  void announce(const std::vector<vrrp::PlacedAddress>& vips, int fallback_ifindex,
                std::uint32_t rounds, const core::config::GlobalDefs& g,
                const LinkLocal& link_local, const std::set<core::IpAddress>* only = nullptr);

private:
  boost::asio::io_context& ctx_;
  core::io::Interfaces& ifs_;
  vrrp::io::Announcer announcer_;
};

} // namespace vigil::daemon
