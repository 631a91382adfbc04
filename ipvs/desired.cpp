#include "ipvs/desired.hpp"

#include <cstring>

namespace vigil::ipvs {

namespace {

constexpr std::uint32_t f_persistent = 0x0001;
constexpr std::uint32_t f_onepacket = 0x0004;
constexpr std::uint32_t f_sched1 = 0x0008;
constexpr std::uint32_t f_sched2 = 0x0010;
constexpr std::uint32_t f_sched3 = 0x0020;
constexpr std::uint32_t conn_masq = 0x0000;
constexpr std::uint32_t conn_tunnel = 0x0002;
constexpr std::uint32_t conn_droute = 0x0003;

Service base_service(const core::config::VirtualServer& vs, core::Family family) {
  Service s;
  s.scheduler = vs.lvs_sched;
  if (vs.persistence_engine)
    s.pe_name = *vs.persistence_engine;
  if (vs.persistence_timeout) {
    s.flags |= f_persistent;
    s.timeout = *vs.persistence_timeout;
  }
  if (vs.ops)
    s.flags |= f_onepacket;
  if (vs.flag_1)
    s.flags |= f_sched1;
  if (vs.flag_2)
    s.flags |= f_sched2;
  if (vs.flag_3)
    s.flags |= f_sched3;
  // The netmask goes to the kernel as IPv4 mask bytes in network order, or an IPv6 prefix length.
  if (family == core::Family::inet6) {
    s.netmask = 128;
    if (vs.persistence_granularity) {
      // An IPv6 granularity is written as a mask; the kernel wants its prefix length.
      std::uint32_t plen = 0;
      const auto* b = vs.persistence_granularity->data();
      for (int i = 0; i < 16 && b[i] == 0xff; ++i)
        plen += 8;
      if (plen < 128) {
        std::uint8_t last = b[plen / 8];
        while (last & 0x80) {
          ++plen;
          last = std::uint8_t(last << 1);
        }
      }
      s.netmask = plen;
    }
  } else {
    s.netmask = 0xffffffffu;
    if (vs.persistence_granularity)
      std::memcpy(&s.netmask, vs.persistence_granularity->data(), 4);
  }
  return s;
}

std::uint32_t conn_flags(const core::config::Forwarding& f) {
  switch (f.method) {
  case core::config::LvsMethod::nat:
    return conn_masq;
  case core::config::LvsMethod::dr:
    return conn_droute;
  case core::config::LvsMethod::tun:
    return conn_tunnel;
  }
  return conn_masq;
}

void fill(ServiceEntry& e, std::span<const Wanted> dests) {
  for (const auto& w : dests) {
    Destination d;
    d.address = w.address;
    d.forward = conn_flags(w.forwarding);
    if (d.forward == conn_masq)
      d.port = w.port;
    else
      d.port = e.service.key.fwmark != 0 ? 0 : e.service.key.port;
    d.weight = w.weight;
    d.upper_threshold = w.uthreshold;
    d.lower_threshold = w.lthreshold;
    if (d.forward == conn_tunnel) {
      d.tunnel_type = std::uint8_t(w.forwarding.tunnel_type);
      d.tunnel_port = w.forwarding.tunnel_port;
      d.tunnel_flags = std::uint16_t(w.forwarding.tunnel_csum);
    }
    e.destinations.insert_or_assign({d.address, d.port}, d);
  }
}

/// The addresses from `first` to `last`: the last octet (IPv4) or 16-bit group (IPv6) varies,
/// as in keepalived's ranges (the loader refuses a range that would cross it).
std::vector<core::IpAddress> expand(const core::IpAddress& first, const core::IpAddress& last) {
  std::vector<core::IpAddress> out;
  std::uint8_t bytes[16];
  std::memcpy(bytes, first.data(), first.size());
  const std::size_t n = first.size();
  auto tail = [&](const core::IpAddress& a) {
    return first.is_v4() ? int(a.data()[n - 1]) : (a.data()[n - 2] << 8) | a.data()[n - 1];
  };
  for (int v = tail(first), to = tail(last); v <= to; ++v) {
    bytes[n - 1] = std::uint8_t(v);
    if (!first.is_v4())
      bytes[n - 2] = std::uint8_t(v >> 8);
    out.push_back(core::IpAddress::from_bytes(first.family(), bytes));
  }
  return out;
}

} // namespace

std::uint16_t protocol_number(core::config::Protocol p) {
  switch (p) {
  case core::config::Protocol::tcp:
    return 6;
  case core::config::Protocol::udp:
    return 17;
  case core::config::Protocol::sctp:
    return 132;
  }
  return 6;
}

void add_services(Table& table, const core::config::VirtualServer& vs,
                  const core::config::VirtualServerGroup* group, std::span<const Wanted> dests) {
  auto put = [&](ServiceKey key) {
    ServiceEntry e;
    e.service = base_service(vs, key.family);
    e.service.key = key;
    fill(e, dests);
    table.insert_or_assign(key, std::move(e));
  };
  const auto proto = protocol_number(vs.protocol);
  switch (vs.kind) {
  case core::config::VsKind::address:
    put({0, vs.address->family(), proto, *vs.address, vs.port});
    break;
  case core::config::VsKind::fwmark:
    put({vs.fwmark, vs.family, 0, core::IpAddress(), 0});
    break;
  case core::config::VsKind::group:
    if (!group)
      break;
    for (const auto& entry : group->entries) {
      if (entry.fwmark) {
        put({*entry.fwmark, entry.family.value_or(vs.family), 0, core::IpAddress(), 0});
        continue;
      }
      if (!entry.first)
        continue;
      for (const auto& a : expand(*entry.first, entry.last.value_or(*entry.first)))
        put({0, a.family(), proto, a, entry.port.value_or(vs.port)});
    }
    break;
  }
}

} // namespace vigil::ipvs
