#include "daemon/garp.hpp"

#include <fstream>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "core/io/interfaces.hpp"
#include "vrrp/announce.hpp"

namespace vigil::daemon {

namespace {
/// net.ipv6.conf.IF.forwarding (a procfs read: memory-backed, it does not block).
bool ipv6_forwarding(const std::string& ifname) {
  std::ifstream in("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding");
  int v = 0;
  return (in >> v) && v != 0;
}
} // namespace

Garps::Garps(boost::asio::io_context& ctx, core::io::Interfaces& interfaces, spdlog::logger& log)
    : ctx_(ctx), ifs_(interfaces), announcer_(ctx, log) {}

void Garps::announce(const std::vector<vrrp::PlacedAddress>& vips, int fallback_ifindex,
                     std::uint32_t rounds, const core::config::GlobalDefs& g,
                     const LinkLocal& link_local, const std::set<core::IpAddress>* only) {
  if (rounds == 0)
    return;
  std::map<int, std::vector<std::vector<std::uint8_t>>> frames;
  std::map<int, bool> v6;
  for (const auto& [spec, ifindex] : vips) {
    const auto* link = ifs_.find(ifindex);
    if (!link || !link->has_mac)
      continue;
    const auto& a = spec.address.address;
    if (only && !only->count(a))
      continue;
    if (a.is_v4()) {
      frames[ifindex].push_back(vrrp::garp_frame(link->mac, a));
      continue;
    }
    auto ll = link_local(ifindex);
    if (!ll)
      ll = link_local(fallback_ifindex); // a VMAC has no link-local of its own
    if (!ll)
      continue;
    frames[ifindex].push_back(
        vrrp::unsolicited_na_frame(link->mac, *ll, a, ipv6_forwarding(link->name)));
    v6[ifindex] = true;
  }
  for (auto& [ifindex, list] : frames) {
    auto gap = v6[ifindex] ? g.vrrp_gna_interval : g.vrrp_garp_interval;
    boost::asio::co_spawn(ctx_, announcer_.burst(ifindex, std::move(list), rounds, gap),
                          boost::asio::detached);
  }
}

} // namespace vigil::daemon
