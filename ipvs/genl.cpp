#include "ipvs/genl.hpp"

#include <cstring>

namespace vigil::ipvs::genl {

namespace {

// Address families as the kernel numbers them (AF_INET, AF_INET6).
constexpr std::uint16_t af_inet = 2;
constexpr std::uint16_t af_inet6 = 10;
constexpr std::uint16_t nla_f_nested = 0x8000;
constexpr std::uint16_t nla_type_mask = 0x3fff; // without the nested / byte-order flags
constexpr std::uint32_t svc_f_hashed = 0x0002;  ///< set by the kernel on every listed service
constexpr std::size_t nlmsg_header = 16;
constexpr std::size_t genl_header = 4;

std::uint16_t af_of(core::Family f) {
  return f == core::Family::inet ? af_inet : af_inet6;
}

/// Appends netlink attributes (4-byte aligned TLVs, host-order lengths and types): one resize
/// and one copy per attribute, into a buffer that may hold other messages before this one.
class Writer {
public:
  explicit Writer(Bytes& out) : out_(out) {}

  void put(std::uint16_t type, const void* data, std::size_t len) {
    const std::size_t at = out_.size();
    const std::size_t total = 4 + len;
    out_.resize(at + ((total + 3) & ~std::size_t(3))); // (the padding is zeroed)
    std::uint8_t* p = out_.data() + at;
    const auto l = std::uint16_t(total);
    std::memcpy(p, &l, 2);
    std::memcpy(p + 2, &type, 2);
    std::memcpy(p + 4, data, len);
  }
  void u8(std::uint16_t type, std::uint8_t v) { put(type, &v, 1); }
  void u16(std::uint16_t type, std::uint16_t v) { put(type, &v, 2); }
  void u32(std::uint16_t type, std::uint32_t v) { put(type, &v, 4); }
  void be16(std::uint16_t type, std::uint16_t v) {
    std::uint8_t b[2] = {std::uint8_t(v >> 8), std::uint8_t(v)};
    put(type, b, 2);
  }
  void strz(std::uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }
  void address(std::uint16_t type, const core::IpAddress& a) {
    std::uint8_t b[16] = {};
    std::memcpy(b, a.data(), a.size());
    put(type, b, sizeof b);
  }
  void begin_nest(std::uint16_t type, std::size_t& at) {
    at = out_.size();
    out_.resize(at + 4);
    const auto t = std::uint16_t(type | nla_f_nested);
    std::memcpy(out_.data() + at + 2, &t, 2);
  }
  void end(std::size_t at) { // (every attribute inside is aligned already)
    auto len = std::uint16_t(out_.size() - at);
    std::memcpy(out_.data() + at, &len, 2);
  }

private:
  Bytes& out_;
};

/// Starts a message at the end of `m` (which may hold others); returns where it starts.
std::size_t header_to(Bytes& m, std::uint16_t family_id, std::uint8_t cmd, std::uint16_t flags) {
  const std::size_t at = m.size();
  m.resize(at + nlmsg_header + genl_header, 0);
  std::memcpy(m.data() + at + 4, &family_id, 2);
  std::memcpy(m.data() + at + 6, &flags, 2);
  m[at + nlmsg_header] = cmd;
  m[at + nlmsg_header + 1] = family_version;
  return at;
}

Bytes header(std::uint16_t family_id, std::uint8_t cmd, std::uint16_t flags) {
  Bytes m;
  m.reserve(256); // every IPVS request fits: one allocation per message
  header_to(m, family_id, cmd, flags);
  return m;
}

/// Sets the length of the message that starts at `at` and ends at the end of `m`.
void finish_at(Bytes& m, std::size_t at) {
  auto len = std::uint32_t(m.size() - at);
  std::memcpy(m.data() + at, &len, 4);
}

void finish(Bytes& m) {
  finish_at(m, 0);
}

void service_key(Writer& w, const ServiceKey& k) {
  w.u16(svc_af, af_of(k.family));
  if (k.fwmark != 0) {
    w.u32(svc_fwmark, k.fwmark);
    return;
  }
  w.u16(svc_protocol, k.protocol);
  w.address(svc_addr, k.address);
  w.be16(svc_port, k.port);
}

void service_attr(Writer& w, const Service& s, bool full) {
  std::size_t nest = 0;
  w.begin_nest(attr_service, nest);
  service_key(w, s.key);
  if (full) {
    w.strz(svc_sched_name, s.scheduler);
    std::uint32_t flags[2] = {s.flags, 0xffffffffu}; // struct ip_vs_flags { flags, mask }
    w.put(svc_flags, flags, sizeof flags);
    w.u32(svc_timeout, s.timeout);
    w.u32(svc_netmask, s.netmask);
    if (!s.pe_name.empty())
      w.strz(svc_pe_name, s.pe_name);
  }
  w.end(nest);
}

void dest_attr(Writer& w, const Destination& d, bool full) {
  std::size_t nest = 0;
  w.begin_nest(attr_dest, nest);
  w.address(dest_addr, d.address);
  w.be16(dest_port, d.port);
  w.u16(dest_addr_family, af_of(d.address.family()));
  if (full) {
    w.u32(dest_fwd_method, d.forward);
    w.u32(dest_weight, d.weight);
    w.u32(dest_u_thresh, d.upper_threshold);
    w.u32(dest_l_thresh, d.lower_threshold);
    if (d.forward == 0x0002) { // IP_VS_CONN_F_TUNNEL: the tunnel's type, port and flags
      w.u8(dest_tun_type, d.tunnel_type);
      w.be16(dest_tun_port, d.tunnel_port);
      w.u16(dest_tun_flags, d.tunnel_flags);
    }
  }
  w.end(nest);
}

/// The attributes of one level: by type, the payload (the last one of a type wins).
struct Attrs {
  std::span<const std::uint8_t> by_type[32];
  bool has[32] = {};
};

std::optional<std::string> read_attrs(std::span<const std::uint8_t> data, Attrs& out) {
  std::size_t at = 0;
  while (at + 4 <= data.size()) {
    std::uint16_t len = 0;
    std::uint16_t type = 0;
    std::memcpy(&len, data.data() + at, 2);
    std::memcpy(&type, data.data() + at + 2, 2);
    if (len < 4 || at + len > data.size())
      return "attribute length " + std::to_string(len) + " runs past the message";
    type &= nla_type_mask;
    if (type < 32) {
      out.by_type[type] = data.subspan(at + 4, len - 4);
      out.has[type] = true;
    }
    at += (std::size_t(len) + 3) & ~std::size_t(3);
  }
  return std::nullopt;
}

/// The top-level attributes of the genetlink message `message` (after the headers).
std::optional<std::string> top_level(std::span<const std::uint8_t> message, Attrs& top) {
  if (message.size() < nlmsg_header + genl_header)
    return std::string("message shorter than its headers");
  std::uint32_t len = 0;
  std::memcpy(&len, message.data(), 4);
  if (len < nlmsg_header + genl_header || len > message.size())
    return "message length " + std::to_string(len) + " does not fit";
  return read_attrs(message.subspan(nlmsg_header + genl_header, len - nlmsg_header - genl_header),
                    top);
}

/// The attributes nested in `outer` of the genetlink message `message`.
std::optional<std::string> nested(std::span<const std::uint8_t> message, std::uint16_t outer,
                                  Attrs& inner) {
  Attrs top;
  if (auto why = top_level(message, top))
    return why;
  if (!top.has[outer])
    return "no " +
           std::string(outer == attr_service ? "service"
                       : outer == attr_dest  ? "destination"
                                             : "daemon") +
           " attribute";
  return read_attrs(top.by_type[outer], inner);
}

template <class T> bool get(const Attrs& a, std::uint16_t type, T& out) {
  if (!a.has[type] || a.by_type[type].size() < sizeof(T))
    return false;
  std::memcpy(&out, a.by_type[type].data(), sizeof(T));
  return true;
}

bool get_be16(const Attrs& a, std::uint16_t type, std::uint16_t& out) {
  if (!a.has[type] || a.by_type[type].size() < 2)
    return false;
  out = std::uint16_t((a.by_type[type][0] << 8) | a.by_type[type][1]);
  return true;
}

std::string get_string(const Attrs& a, std::uint16_t type) {
  if (!a.has[type])
    return {};
  const auto& b = a.by_type[type];
  std::size_t n = 0;
  while (n < b.size() && b[n] != 0)
    ++n;
  return std::string(reinterpret_cast<const char*>(b.data()), n);
}

std::optional<core::Family> family_of(std::uint16_t af) {
  if (af == af_inet)
    return core::Family::inet;
  if (af == af_inet6)
    return core::Family::inet6;
  return std::nullopt;
}

std::optional<core::IpAddress> get_address(const Attrs& a, std::uint16_t type, core::Family f) {
  std::size_t need = f == core::Family::inet ? 4 : 16;
  if (!a.has[type] || a.by_type[type].size() < need)
    return std::nullopt;
  return core::IpAddress::from_bytes(f, a.by_type[type].data());
}

} // namespace

void encode_to(const Op& op, std::uint16_t family_id, Bytes& out) {
  static constexpr std::uint8_t cmds[] = {cmd_new_service, cmd_set_service, cmd_new_dest,
                                          cmd_set_dest,    cmd_del_dest,    cmd_del_service};
  const auto cmd = cmds[std::size_t(op.kind)];
  const std::size_t at = header_to(out, family_id, cmd, nlm_f_request | nlm_f_ack);
  Writer w(out);
  const bool service_op = op.kind == OpKind::add_service || op.kind == OpKind::edit_service;
  service_attr(w, op.service, service_op);
  if (!service_op && op.destination)
    dest_attr(w, *op.destination, op.kind != OpKind::delete_destination);
  finish_at(out, at);
}

Bytes encode(const Op& op, std::uint16_t family_id) {
  Bytes m;
  m.reserve(256); // every IPVS request fits: one allocation per message
  encode_to(op, family_id, m);
  return m;
}

namespace {

/// A request with no attributes.
Bytes bare(std::uint16_t family_id, std::uint8_t cmd, std::uint16_t flags) {
  Bytes m = header(family_id, cmd, flags);
  finish(m);
  return m;
}

} // namespace

Bytes dump_services(std::uint16_t family_id) {
  return bare(family_id, cmd_get_service, nlm_f_request | nlm_f_dump);
}

Bytes dump_destinations(std::uint16_t family_id, const ServiceKey& service) {
  Bytes m = header(family_id, cmd_get_dest, nlm_f_request | nlm_f_dump);
  Writer w(m);
  std::size_t nest = 0;
  w.begin_nest(attr_service, nest);
  service_key(w, service);
  w.end(nest);
  finish(m);
  return m;
}

Bytes flush(std::uint16_t family_id) {
  return bare(family_id, cmd_flush, nlm_f_request | nlm_f_ack);
}

Bytes get_config(std::uint16_t family_id) {
  return bare(family_id, cmd_get_config, nlm_f_request);
}

Bytes set_config(std::uint16_t family_id, const Timeouts& t) {
  Bytes m = header(family_id, cmd_set_config, nlm_f_request | nlm_f_ack);
  Writer w(m);
  if (t.tcp)
    w.u32(attr_timeout_tcp, t.tcp);
  if (t.tcpfin)
    w.u32(attr_timeout_tcp_fin, t.tcpfin);
  if (t.udp)
    w.u32(attr_timeout_udp, t.udp);
  finish(m);
  return m;
}

Bytes new_daemon(std::uint16_t family_id, const SyncDaemon& d) {
  Bytes m = header(family_id, cmd_new_daemon, nlm_f_request | nlm_f_ack);
  Writer w(m);
  std::size_t nest = 0;
  w.begin_nest(attr_daemon, nest);
  w.u32(daemon_state, d.state);
  w.strz(daemon_mcast_ifn, d.interface);
  w.u32(daemon_sync_id, d.sync_id);
  if (d.maxlen)
    w.u16(daemon_sync_maxlen, d.maxlen);
  if (d.group) {
    if (d.group->family() == core::Family::inet)
      w.put(daemon_mcast_group, d.group->data(), 4);
    else
      w.put(daemon_mcast_group6, d.group->data(), 16);
  }
  if (d.port)
    w.u16(daemon_mcast_port, d.port); // host order here, unlike the service ports
  if (d.ttl)
    w.u8(daemon_mcast_ttl, d.ttl);
  w.end(nest);
  finish(m);
  return m;
}

Bytes del_daemon(std::uint16_t family_id, std::uint32_t state) {
  Bytes m = header(family_id, cmd_del_daemon, nlm_f_request | nlm_f_ack);
  Writer w(m);
  std::size_t nest = 0;
  w.begin_nest(attr_daemon, nest);
  w.u32(daemon_state, state);
  w.end(nest);
  finish(m);
  return m;
}

Bytes dump_daemons(std::uint16_t family_id) {
  return bare(family_id, cmd_get_daemon, nlm_f_request | nlm_f_dump);
}

namespace {

std::optional<Stats> stats_of(const Attrs& a, std::uint16_t stats64, std::uint16_t stats32) {
  Attrs st;
  Stats out;
  if (a.has[stats64] && !read_attrs(a.by_type[stats64], st)) {
    get(st, 1, out.conns);
    get(st, 2, out.inpkts);
    get(st, 3, out.outpkts);
    get(st, 4, out.inbytes);
    get(st, 5, out.outbytes);
    return out;
  }
  if (a.has[stats32] && !read_attrs(a.by_type[stats32], st)) {
    std::uint32_t v = 0;
    if (get(st, 1, v))
      out.conns = v;
    if (get(st, 2, v))
      out.inpkts = v;
    if (get(st, 3, v))
      out.outpkts = v;
    get(st, 4, out.inbytes);
    get(st, 5, out.outbytes);
    return out;
  }
  return std::nullopt;
}

} // namespace

std::optional<Stats> parse_service_stats(std::span<const std::uint8_t> message) {
  Attrs a;
  if (nested(message, attr_service, a))
    return std::nullopt;
  return stats_of(a, svc_stats64, svc_stats);
}

std::optional<Stats> parse_destination_stats(std::span<const std::uint8_t> message) {
  Attrs a;
  if (nested(message, attr_dest, a))
    return std::nullopt;
  return stats_of(a, dest_stats64, dest_stats);
}

std::variant<Timeouts, ParseError> parse_timeouts(std::span<const std::uint8_t> message) {
  Attrs a;
  if (auto why = top_level(message, a))
    return ParseError{*why};
  Timeouts t;
  if (!get(a, attr_timeout_tcp, t.tcp) || !get(a, attr_timeout_tcp_fin, t.tcpfin) ||
      !get(a, attr_timeout_udp, t.udp))
    return ParseError{"configuration reply without the three timeouts"};
  return t;
}

std::variant<SyncDaemon, ParseError> parse_daemon(std::span<const std::uint8_t> message) {
  Attrs a;
  if (auto why = nested(message, attr_daemon, a))
    return ParseError{*why};
  SyncDaemon d;
  if (!get(a, daemon_state, d.state) || !get(a, daemon_sync_id, d.sync_id))
    return ParseError{"daemon without state or sync id"};
  d.interface = get_string(a, daemon_mcast_ifn);
  get(a, daemon_sync_maxlen, d.maxlen);
  if (auto g = get_address(a, daemon_mcast_group, core::Family::inet); g && !g->is_unspecified())
    d.group = *g;
  else if (auto g6 = get_address(a, daemon_mcast_group6, core::Family::inet6);
           g6 && !g6->is_unspecified())
    d.group = *g6;
  get(a, daemon_mcast_port, d.port);
  get(a, daemon_mcast_ttl, d.ttl);
  return d;
}

std::variant<Service, ParseError> parse_service(std::span<const std::uint8_t> message) {
  Attrs a;
  if (auto why = nested(message, attr_service, a))
    return ParseError{*why};
  Service s;
  std::uint16_t af = 0;
  if (!get(a, svc_af, af))
    return ParseError{"service without an address family"};
  auto family = family_of(af);
  if (!family)
    return ParseError{"service of unknown address family " + std::to_string(af)};
  s.key.family = *family;
  if (get(a, svc_fwmark, s.key.fwmark) && s.key.fwmark != 0) {
    s.key.address = core::IpAddress(); // a fwmark service has no address (ServiceKey)
  } else {
    auto addr = get_address(a, svc_addr, *family);
    if (!addr || !get(a, svc_protocol, s.key.protocol) || !get_be16(a, svc_port, s.key.port))
      return ParseError{"service without protocol, address and port, or fwmark"};
    s.key.address = *addr;
    s.key.fwmark = 0;
  }
  s.scheduler = get_string(a, svc_sched_name);
  std::uint32_t flags[2] = {0, 0};
  if (a.has[svc_flags] && a.by_type[svc_flags].size() >= sizeof flags)
    std::memcpy(flags, a.by_type[svc_flags].data(), sizeof flags);
  s.flags = flags[0] & ~svc_f_hashed;
  get(a, svc_timeout, s.timeout);
  get(a, svc_netmask, s.netmask);
  s.pe_name = get_string(a, svc_pe_name);
  return s;
}

std::variant<Destination, ParseError> parse_destination(std::span<const std::uint8_t> message) {
  Attrs a;
  if (auto why = nested(message, attr_dest, a))
    return ParseError{*why};
  Destination d;
  std::uint16_t af = 0;
  auto family = get(a, dest_addr_family, af) ? family_of(af) : std::optional(core::Family::inet);
  if (!family)
    return ParseError{"destination of unknown address family " + std::to_string(af)};
  auto addr = get_address(a, dest_addr, *family);
  if (!addr || !get_be16(a, dest_port, d.port))
    return ParseError{"destination without address and port"};
  d.address = *addr;
  get(a, dest_fwd_method, d.forward);
  d.forward &= 0x0007; // IP_VS_CONN_F_FWD_MASK
  get(a, dest_weight, d.weight);
  get(a, dest_u_thresh, d.upper_threshold);
  get(a, dest_l_thresh, d.lower_threshold);
  get(a, dest_tun_type, d.tunnel_type);
  get_be16(a, dest_tun_port, d.tunnel_port);
  get(a, dest_tun_flags, d.tunnel_flags);
  return d;
}

} // namespace vigil::ipvs::genl
