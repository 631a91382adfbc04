#include "core/io/rtnl.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
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

std::vector<std::uint8_t> macvlan_request(const std::string& name, int parent, const Mac& mac) {
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifi = m.extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  m.put_strz(IFLA_IFNAME, name);
  m.put_u32(IFLA_LINK, std::uint32_t(parent));
  m.put(IFLA_ADDRESS, mac.data(), mac.size());
  void* info = m.begin_nest(IFLA_LINKINFO);
  m.put_strz(IFLA_INFO_KIND, "macvlan");
  void* data = m.begin_nest(IFLA_INFO_DATA);
  m.put_u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
  m.end_nest(data);
  m.end_nest(info);
  return m.take();
}

std::vector<std::uint8_t> addr_gen_none_request(int ifindex) {
  Message m(RTM_NEWLINK, 0);
  auto* ifi = m.extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  void* af = m.begin_nest(IFLA_AF_SPEC);
  void* inet6 = m.begin_nest(AF_INET6);
  m.put_u8(IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  m.end_nest(inet6);
  m.end_nest(af);
  return m.take();
}

std::vector<std::uint8_t> link_delete_request(int ifindex) {
  Message m(RTM_DELLINK, 0);
  auto* ifi = m.extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return m.take();
}

std::vector<std::uint8_t> link_up_request(int ifindex) {
  Message m(RTM_NEWLINK, 0);
  auto* ifi = m.extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return m.take();
}

namespace {

/// The RTA_MULTIPATH payload: one rtnexthop (with its RTA_GATEWAY) per path.
std::vector<std::uint8_t> multipath(const config::RouteSpec& spec, std::span<const int> oifs) {
  std::vector<std::uint8_t> out;
  for (std::size_t k = 0; k < spec.nexthops.size(); ++k) {
    const auto& nh = spec.nexthops[k];
    std::size_t at = out.size();
    std::size_t gw_len = nh.via ? RTA_LENGTH(nh.via->size()) : 0;
    out.resize(at + RTNH_ALIGN(sizeof(rtnexthop) + RTA_ALIGN(gw_len)), 0);
    rtnexthop h{};
    h.rtnh_len = std::uint16_t(sizeof(rtnexthop) + RTA_ALIGN(gw_len));
    h.rtnh_flags = nh.onlink ? RTNH_F_ONLINK : 0;
    h.rtnh_hops = std::uint8_t(nh.weight.value_or(1) - 1); // weight = hops + 1
    h.rtnh_ifindex = k < oifs.size() ? oifs[k] : 0;
    std::memcpy(out.data() + at, &h, sizeof h);
    if (nh.via) {
      rtattr a{};
      a.rta_len = std::uint16_t(gw_len);
      a.rta_type = RTA_GATEWAY;
      std::memcpy(out.data() + at + sizeof h, &a, sizeof a);
      std::memcpy(out.data() + at + sizeof h + RTA_LENGTH(0), nh.via->data(), nh.via->size());
    }
  }
  return out;
}

} // namespace

std::vector<std::uint8_t> route_request(bool add, const config::RouteSpec& spec, int oif,
                                        std::span<const int> path_oifs) {
  std::uint16_t flags = 0;
  if (add)
    flags = NLM_F_CREATE | (spec.append ? NLM_F_APPEND : NLM_F_REPLACE);
  Message m(add ? RTM_NEWROUTE : RTM_DELROUTE, flags);
  auto* rt = m.extra<rtmsg>();
  const IpAddress& dst = spec.to.address;
  rt->rtm_family = dst.is_v4() ? AF_INET : AF_INET6;
  rt->rtm_dst_len = spec.to.length;
  rt->rtm_tos = spec.tos.value_or(0);
  rt->rtm_table = spec.table < 256 ? std::uint8_t(spec.table) : std::uint8_t(RT_TABLE_UNSPEC);
  rt->rtm_protocol = spec.protocol.value_or(RTPROT_BOOT);
  switch (spec.type) {
  case config::RouteType::unicast:
    rt->rtm_type = RTN_UNICAST;
    break;
  case config::RouteType::blackhole:
    rt->rtm_type = RTN_BLACKHOLE;
    break;
  case config::RouteType::unreachable:
    rt->rtm_type = RTN_UNREACHABLE;
    break;
  case config::RouteType::prohibit:
    rt->rtm_type = RTN_PROHIBIT;
    break;
  case config::RouteType::throw_:
    rt->rtm_type = RTN_THROW;
    break;
  }
  // Like `ip route`: a device route without a gateway is link scope, others universe.
  if (spec.scope)
    rt->rtm_scope = scope_value(*spec.scope);
  else
    rt->rtm_scope = (spec.type == config::RouteType::unicast && !spec.via && oif != 0)
                        ? RT_SCOPE_LINK
                        : RT_SCOPE_UNIVERSE;
  if (spec.onlink)
    rt->rtm_flags |= RTNH_F_ONLINK;
  if (spec.to.length > 0 || !dst.is_unspecified())
    m.put(RTA_DST, dst.data(), dst.size());
  if (spec.table >= 256)
    m.put_u32(RTA_TABLE, spec.table);
  if (!add)
    return m.take(); // the key fields identify the route
  if (spec.src)
    m.put(RTA_PREFSRC, spec.src->data(), spec.src->size());
  if (spec.via)
    m.put(RTA_GATEWAY, spec.via->data(), spec.via->size());
  if (oif != 0)
    m.put_u32(RTA_OIF, std::uint32_t(oif));
  if (!spec.nexthops.empty()) {
    auto paths = multipath(spec, path_oifs);
    m.put(RTA_MULTIPATH, paths.data(), paths.size());
  }
  if (spec.metric)
    m.put_u32(RTA_PRIORITY, *spec.metric);
  if (spec.mtu || spec.advmss || spec.hoplimit || spec.initcwnd || spec.initrwnd) {
    void* nest = m.begin_nest(RTA_METRICS);
    if (spec.mtu)
      m.put_u32(RTAX_MTU, *spec.mtu);
    if (spec.advmss)
      m.put_u32(RTAX_ADVMSS, *spec.advmss);
    if (spec.hoplimit)
      m.put_u32(RTAX_HOPLIMIT, *spec.hoplimit);
    if (spec.initcwnd)
      m.put_u32(RTAX_INITCWND, *spec.initcwnd);
    if (spec.initrwnd)
      m.put_u32(RTAX_INITRWND, *spec.initrwnd);
    m.end_nest(nest);
  }
  return m.take();
}

std::vector<std::uint8_t> rule_request(bool add, const config::RuleSpec& spec) {
  Message m(add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  auto* fr = m.extra<fib_rule_hdr>();
  fr->family = spec.family == Family::inet ? AF_INET : AF_INET6;
  fr->tos = spec.tos.value_or(0);
  switch (spec.action) {
  case config::RuleAction::lookup:
    fr->action = FR_ACT_TO_TBL;
    break;
  case config::RuleAction::goto_:
    fr->action = FR_ACT_GOTO;
    break;
  case config::RuleAction::nop:
    fr->action = FR_ACT_NOP;
    break;
  case config::RuleAction::blackhole:
    fr->action = FR_ACT_BLACKHOLE;
    break;
  case config::RuleAction::unreachable:
    fr->action = FR_ACT_UNREACHABLE;
    break;
  case config::RuleAction::prohibit:
    fr->action = FR_ACT_PROHIBIT;
    break;
  }
  if (spec.l3mdev) {
    fr->action = FR_ACT_TO_TBL;
    m.put_u8(FRA_L3MDEV, 1);
  }
  if (spec.action == config::RuleAction::lookup && !spec.l3mdev) {
    fr->table = spec.table < 256 ? std::uint8_t(spec.table) : std::uint8_t(RT_TABLE_UNSPEC);
    m.put_u32(FRA_TABLE, spec.table);
  }
  if (spec.from) {
    fr->src_len = spec.from->length;
    m.put(FRA_SRC, spec.from->address.data(), spec.from->address.size());
  }
  if (spec.to) {
    fr->dst_len = spec.to->length;
    m.put(FRA_DST, spec.to->address.data(), spec.to->address.size());
  }
  if (spec.preference)
    m.put_u32(FRA_PRIORITY, *spec.preference);
  if (spec.iif)
    m.put_strz(FRA_IIFNAME, *spec.iif);
  if (spec.oif)
    m.put_strz(FRA_OIFNAME, *spec.oif);
  if (spec.fwmark)
    m.put_u32(FRA_FWMARK, *spec.fwmark);
  if (spec.fwmask)
    m.put_u32(FRA_FWMASK, *spec.fwmask);
  if (spec.action == config::RuleAction::goto_)
    m.put_u32(FRA_GOTO, spec.goto_target);
  if (spec.protocol)
    m.put_u8(FRA_PROTOCOL, *spec.protocol);
  if (spec.ip_proto)
    m.put_u8(FRA_IP_PROTO, *spec.ip_proto);
  if (spec.sport) {
    fib_rule_port_range r{spec.sport->start, spec.sport->end};
    m.put(FRA_SPORT_RANGE, &r, sizeof r);
  }
  if (spec.dport) {
    fib_rule_port_range r{spec.dport->start, spec.dport->end};
    m.put(FRA_DPORT_RANGE, &r, sizeof r);
  }
  if (spec.suppress_prefixlength)
    m.put_u32(FRA_SUPPRESS_PREFIXLEN, *spec.suppress_prefixlength);
  return m.take();
}

} // namespace vigil::core::io
