#include "core/io/rtnl.hpp"

#include <libmnl/libmnl.h>
#include <net/if.h> // not <linux/if.h>: Asio includes the glibc one and they conflict
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "core/io/netlink.hpp"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 // carrier on (linux/if.h)
#endif

namespace vigil::core::io {
namespace {

template <std::size_t N> struct Attrs {
  std::array<const nlattr*, N + 1> tb{};
  static int collect(const nlattr* attr, void* data) {
    auto* self = static_cast<Attrs*>(data);
    unsigned type = mnl_attr_get_type(attr);
    if (type <= N)
      self->tb[type] = attr;
    return MNL_CB_OK;
  }
};

std::uint8_t scope_value(config::Scope s) {
  switch (s) {
  case config::Scope::global:
    return RT_SCOPE_UNIVERSE;
  case config::Scope::site:
    return RT_SCOPE_SITE;
  case config::Scope::link:
    return RT_SCOPE_LINK;
  case config::Scope::host:
    return RT_SCOPE_HOST;
  case config::Scope::nowhere:
    return RT_SCOPE_NOWHERE;
  }
  return RT_SCOPE_UNIVERSE;
}

} // namespace

bool Link::up() const {
  return (flags & IFF_UP) && (flags & IFF_LOWER_UP);
}
bool Address::secondary() const {
  return flags & IFA_F_SECONDARY;
}
bool Address::tentative() const {
  return flags & IFA_F_TENTATIVE;
}

std::optional<Link> parse_link(const nlmsghdr& nlh) {
  if (nlh.nlmsg_type != RTM_NEWLINK && nlh.nlmsg_type != RTM_DELLINK)
    return std::nullopt;
  auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(&nlh));
  Link l;
  l.index = ifi->ifi_index;
  l.flags = ifi->ifi_flags;
  Attrs<IFLA_MAX> a;
  if (mnl_attr_parse(&nlh, sizeof(ifinfomsg), Attrs<IFLA_MAX>::collect, &a) != MNL_CB_OK)
    return std::nullopt;
  if (a.tb[IFLA_IFNAME])
    l.name = mnl_attr_get_str(a.tb[IFLA_IFNAME]);
  if (a.tb[IFLA_OPERSTATE])
    l.operstate = mnl_attr_get_u8(a.tb[IFLA_OPERSTATE]);
  if (a.tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(a.tb[IFLA_ADDRESS]) == 6) {
    std::memcpy(l.mac.data(), mnl_attr_get_payload(a.tb[IFLA_ADDRESS]), 6);
    l.has_mac = true;
  }
  return l;
}

std::optional<Address> parse_address(const nlmsghdr& nlh) {
  if (nlh.nlmsg_type != RTM_NEWADDR && nlh.nlmsg_type != RTM_DELADDR)
    return std::nullopt;
  auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(&nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
    return std::nullopt;
  Family fam = ifa->ifa_family == AF_INET ? Family::inet : Family::inet6;
  std::size_t alen = fam == Family::inet ? 4 : 16;
  Attrs<IFA_MAX> a;
  if (mnl_attr_parse(&nlh, sizeof(ifaddrmsg), Attrs<IFA_MAX>::collect, &a) != MNL_CB_OK)
    return std::nullopt;
  // IFA_LOCAL is the address itself on point-to-point links; IFA_ADDRESS otherwise.
  const nlattr* addr = a.tb[IFA_LOCAL] ? a.tb[IFA_LOCAL] : a.tb[IFA_ADDRESS];
  if (!addr || mnl_attr_get_payload_len(addr) != alen)
    return std::nullopt;
  Address out;
  out.index = int(ifa->ifa_index);
  out.address =
      IpAddress::from_bytes(fam, static_cast<const std::uint8_t*>(mnl_attr_get_payload(addr)));
  out.prefixlen = ifa->ifa_prefixlen;
  out.flags = a.tb[IFA_FLAGS] ? mnl_attr_get_u32(a.tb[IFA_FLAGS]) : ifa->ifa_flags;
  out.scope = ifa->ifa_scope;
  if (a.tb[IFA_LABEL])
    out.label = mnl_attr_get_str(a.tb[IFA_LABEL]);
  return out;
}

std::vector<std::uint8_t> dump_links_request() {
  Message m(RTM_GETLINK, NLM_F_DUMP);
  auto* ifi = m.extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  return m.take();
}

std::vector<std::uint8_t> dump_addresses_request() {
  Message m(RTM_GETADDR, NLM_F_DUMP);
  auto* ifa = m.extra<ifaddrmsg>();
  ifa->ifa_family = AF_UNSPEC;
  return m.take();
}

std::vector<std::uint8_t> address_request(bool add, int ifindex, const config::AddressSpec& spec) {
  Message m(add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
  auto* ifa = m.extra<ifaddrmsg>();
  const IpAddress& addr = spec.address.address;
  bool v4 = addr.is_v4();
  ifa->ifa_family = v4 ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = spec.address.length;
  ifa->ifa_index = static_cast<unsigned>(ifindex);
  ifa->ifa_scope = scope_value(spec.scope);
  m.put(IFA_LOCAL, addr.data(), addr.size());
  if (spec.peer)
    m.put(IFA_ADDRESS, spec.peer->address.data(), spec.peer->address.size());
  else
    m.put(IFA_ADDRESS, addr.data(), addr.size());
  if (!add)
    return m.take();
  if (v4) {
    std::optional<IpAddress> brd;
    if (spec.brd_mode == config::BroadcastMode::address) {
      brd = spec.brd;
    } else if (spec.brd_mode != config::BroadcastMode::none && spec.address.length < 31) {
      std::uint32_t host =
          spec.address.length == 0 ? 0xffffffffu : (0xffffffffu >> spec.address.length);
      std::uint32_t a = addr.v4_host_order();
      brd = IpAddress::v4(spec.brd_mode == config::BroadcastMode::set_host_bits ? (a | host)
                                                                                : (a & ~host));
    }
    if (brd)
      m.put(IFA_BROADCAST, brd->data(), 4);
    if (spec.label)
      m.put_strz(IFA_LABEL, *spec.label);
  }
  std::uint32_t flags = 0;
  if (!v4)
    flags |= IFA_F_NODAD; // a VIP must be usable the moment we take over
  if (spec.nodad)
    flags |= IFA_F_NODAD;
  if (spec.home)
    flags |= IFA_F_HOMEADDRESS;
  if (spec.mngtmpaddr)
    flags |= IFA_F_MANAGETEMPADDR;
  if (spec.noprefixroute)
    flags |= IFA_F_NOPREFIXROUTE;
  if (spec.autojoin)
    flags |= IFA_F_MCAUTOJOIN;
  ifa->ifa_flags = std::uint8_t(flags & 0xff);
  if (flags > 0xff)
    m.put_u32(IFA_FLAGS, flags);
  std::optional<std::uint32_t> preferred = spec.preferred_lft;
  if (!v4 && !preferred && spec.address.length == 128)
    preferred = 0; // keepalived's default
  if (preferred) {
    ifa_cacheinfo ci{};
    ci.ifa_prefered = *preferred;
    ci.ifa_valid = 0xffffffffu;
    m.put(IFA_CACHEINFO, &ci, sizeof ci);
  }
  return m.take();
}

} // namespace vigil::core::io
