// Address, route and rule lines: the `ip address/route/rule add` subset vigil programs through
// rtnetlink. Options keepalived accepts but vigil does not program are rejected by name.
#include <array>
#include <fstream>
#include <sstream>

#include "grammar/lower/lower.hpp"

namespace vigil::grammar::lower {
namespace {

using core::config::AddressSpec;
using core::config::BroadcastMode;
using core::config::RouteSpec;
using core::config::RouteType;
using core::config::RuleAction;
using core::config::RuleSpec;
using core::config::Scope;

std::vector<const Word*> tokens_of(const Statement& line) {
  std::vector<const Word*> t;
  t.push_back(&line.keyword);
  for (const auto& a : line.args)
    t.push_back(&a);
  return t;
}

/// Sequential reader over a line's words with "needs a value" errors.
class Tokens {
public:
  Tokens(Ctx& c, const Statement& line) : c_(c), line_(line), t_(tokens_of(line)) {}
  bool done() const { return i_ >= t_.size(); }
  const Word& next() { return *t_[i_++]; }
  const Word* peek() const { return done() ? nullptr : t_[i_]; }
  /// The value after option `opt`; reports an error when the line ends.
  const Word* value(const Word& opt) {
    if (done()) {
      c_.error(opt, "'" + opt.text + "' needs a value");
      return nullptr;
    }
    return &next();
  }
  const Statement& line() const { return line_; }

private:
  Ctx& c_;
  const Statement& line_;
  std::vector<const Word*> t_;
  std::size_t i_ = 0;
};

std::optional<Scope> scope_of(Ctx& c, const Word& w) {
  static constexpr std::array<std::pair<std::string_view, Scope>, 5> names{{
      {"global", Scope::global},
      {"site", Scope::site},
      {"link", Scope::link},
      {"host", Scope::host},
      {"nowhere", Scope::nowhere},
  }};
  for (const auto& [n, s] : names)
    if (w.text == n)
      return s;
  c.error(w, "'" + w.text + "' is not a scope", "use global, site, link, host or nowhere");
  return std::nullopt;
}

std::optional<std::uint8_t> route_protocol(Ctx& c, const Word& w) {
  static constexpr std::array<std::pair<std::string_view, std::uint8_t>, 20> names{{
      {"redirect", 1}, {"kernel", 2}, {"boot", 3},   {"static", 4},      {"gated", 8},
      {"ra", 9},       {"mrt", 10},   {"zebra", 11}, {"bird", 12},       {"dnrouted", 13},
      {"xorp", 14},    {"ntk", 15},   {"dhcp", 16},  {"keepalived", 18}, {"babel", 42},
      {"bgp", 186},    {"isis", 187}, {"ospf", 188}, {"rip", 189},       {"eigrp", 192},
  }};
  for (const auto& [n, v] : names)
    if (w.text == n)
      return v;
  if (!w.text.empty() && std::isdigit(static_cast<unsigned char>(w.text[0]))) {
    if (auto v = c.integer(w, "protocol", 0, 255))
      return std::uint8_t(*v);
    return std::nullopt;
  }
  c.error(w, "'" + w.text + "' is not a route protocol name or number");
  return std::nullopt;
}

std::optional<std::uint8_t> ip_proto(Ctx& c, const Word& w) {
  static constexpr std::array<std::pair<std::string_view, std::uint8_t>, 7> names{{
      {"icmp", 1},
      {"tcp", 6},
      {"udp", 17},
      {"gre", 47},
      {"icmpv6", 58},
      {"sctp", 132},
      {"ipv6-icmp", 58},
  }};
  std::string lower = w.text;
  for (auto& ch : lower)
    ch = char(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto& [n, v] : names)
    if (lower == n)
      return v;
  if (auto v = c.integer(w, "ipproto", 0, 255))
    return std::uint8_t(*v);
  return std::nullopt;
}

std::optional<core::config::PortRange> port_range(Ctx& c, const Word& w, std::string_view what) {
  auto dash = w.text.find('-');
  Word a = w;
  a.text = w.text.substr(0, dash);
  auto first = c.port(a, what);
  if (!first)
    return std::nullopt;
  if (dash == std::string::npos)
    return core::config::PortRange{*first, *first};
  Word b = w;
  b.text = w.text.substr(dash + 1);
  b.offset = w.offset + std::uint32_t(dash + 1);
  auto last = c.port(b, what);
  if (!last)
    return std::nullopt;
  if (*last < *first) {
    c.error(w, "port range '" + w.text + "' ends before it starts");
    return std::nullopt;
  }
  return core::config::PortRange{*first, *last};
}

bool reject_option(Ctx& c, const Word& w, std::span<const std::string_view> names,
                   std::string_view kind) {
  for (auto n : names)
    if (w.text == n) {
      c.error(w, std::string(kind) + " option '" + w.text +
                     "' is a keepalived feature vigil does not support");
      return true;
    }
  return false;
}

} // namespace

std::optional<std::uint32_t> route_table(Ctx& c, const Word& w) {
  if (w.text == "main")
    return 254;
  if (w.text == "local")
    return 255;
  if (w.text == "default")
    return 253;
  if (!w.text.empty() && std::isdigit(static_cast<unsigned char>(w.text[0]))) {
    if (auto v = c.integer(w, "table", 1, 0xFFFFFFFFLL))
      return std::uint32_t(*v);
    return std::nullopt;
  }
  for (const char* path : {"/etc/iproute2/rt_tables", "/usr/share/iproute2/rt_tables",
                           "/usr/lib/iproute2/rt_tables"}) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string num, name;
      if (!(ls >> num >> name) || num.empty() || num[0] == '#')
        continue;
      if (name == w.text)
        return std::uint32_t(std::stoul(num, nullptr, 0));
    }
  }
  c.error(w, "unknown routing table '" + w.text + "'",
          "use a number, main, local, default or a name from /etc/iproute2/rt_tables");
  return std::nullopt;
}

std::optional<AddressSpec> lower_address(Ctx& c, const Statement& line, LineUse use) {
  if (line.has_block) {
    c.no_block(line);
    return std::nullopt;
  }
  AddressSpec a;
  a.where = c.where(line.keyword);
  auto p = c.prefix(line.keyword, "address");
  if (!p)
    return std::nullopt;
  a.address = *p;
  bool ok = true;
  Tokens t(c, line);
  t.next();
  while (!t.done()) {
    const Word& opt = t.next();
    const std::string& o = opt.text;
    if (o == "brd" || o == "broadcast") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (v->text == "+") {
        a.brd_mode = BroadcastMode::set_host_bits;
      } else if (v->text == "-") {
        a.brd_mode = BroadcastMode::clear_host_bits;
      } else if (auto b = c.ip(*v, "brd")) {
        if (b->family() != a.address.address.family()) {
          c.error(*v, "broadcast address family differs from the address");
          ok = false;
        }
        a.brd_mode = BroadcastMode::address;
        a.brd = *b;
      } else {
        ok = false;
      }
    } else if (o == "dev") {
      if (const Word* v = t.value(opt))
        a.dev = v->text;
      else
        return std::nullopt;
    } else if (o == "scope") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto s = scope_of(c, *v))
        a.scope = *s;
      else
        ok = false;
    } else if (o == "label") {
      if (const Word* v = t.value(opt))
        a.label = v->text;
      else
        return std::nullopt;
    } else if (o == "peer") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto pp = c.prefix(*v, "peer"))
        a.peer = *pp;
      else
        ok = false;
    } else if (o == "home") {
      a.home = true;
    } else if (o == "-nodad" || o == "nodad") {
      a.nodad = true;
    } else if (o == "mngtmpaddr") {
      a.mngtmpaddr = true;
    } else if (o == "noprefixroute") {
      a.noprefixroute = true;
    } else if (o == "autojoin") {
      a.autojoin = true;
    } else if (o == "no_track") {
      a.no_track = true;
    } else if (o == "use_vmac" && use == LineUse::virtual_) {
      a.use_vmac = true;
      c.unacted(opt, "use_vmac", "virtual_ipaddress");
    } else if (o == "preferred_lft") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (v->text == "forever")
        a.preferred_lft = 0xFFFFFFFFu;
      else if (auto n = c.integer(*v, "preferred_lft", 0, 0xFFFFFFFELL))
        a.preferred_lft = std::uint32_t(*n);
      else
        ok = false;
    } else if (o == "track_group" && use == LineUse::static_) {
      if (const Word* v = t.value(opt))
        a.track_group = v->text;
      else
        return std::nullopt;
    } else if (o == "track_group" || o == "use_vmac") {
      c.error(opt, "'" + o + "' applies only to " +
                       (o == "use_vmac" ? "virtual_ipaddress" : "static_ipaddress") + " lines");
      ok = false;
    } else {
      c.error(opt, "unknown address option '" + o + "'",
              "options are brd, dev, scope, label, peer, home, -nodad, mngtmpaddr, "
              "noprefixroute, autojoin, no_track, preferred_lft" +
                  std::string(use == LineUse::virtual_ ? ", use_vmac" : ", track_group"));
      ok = false;
    }
  }
  if (a.label && a.address.address.is_v6()) {
    c.error(line.keyword, "'label' applies to IPv4 addresses only");
    ok = false;
  }
  if (!ok)
    return std::nullopt;
  return a;
}

std::optional<RouteSpec> lower_route(Ctx& c, const Statement& line, LineUse use) {
  if (line.has_block) {
    c.no_block(line);
    return std::nullopt;
  }
  RouteSpec r;
  r.where = c.where(line.keyword);
  bool ok = true;
  bool have_to = false;
  bool inet6 = false;
  Tokens t(c, line);
  static constexpr std::array<std::string_view, 21> unsupported{{"realms",
                                                                 "rtt",
                                                                 "rttvar",
                                                                 "reordering",
                                                                 "window",
                                                                 "cwnd",
                                                                 "ssthresh",
                                                                 "rto_min",
                                                                 "features",
                                                                 "congctl",
                                                                 "fastopen_no_cookie",
                                                                 "quickack",
                                                                 "encap",
                                                                 "expires",
                                                                 "pref",
                                                                 "ttl-propagate",
                                                                 "vrf",
                                                                 "lock",
                                                                 "local",
                                                                 "broadcast",
                                                                 "multicast"}};
  std::vector<bool> or_paths; // per entry of r.nexthops: written as `or ADDR`
  const Word* first_or = nullptr;
  auto number = [&](const Word& opt, std::optional<std::uint32_t>& field) {
    const Word* v = t.value(opt);
    if (!v) {
      ok = false;
      return;
    }
    if (auto n = c.integer(*v, opt.text, 0, 0xFFFFFFFFLL))
      field = std::uint32_t(*n);
    else
      ok = false;
  };
  auto address = [&](const Word& opt, std::optional<core::IpAddress>& field) {
    const Word* v = t.value(opt);
    if (!v) {
      ok = false;
      return;
    }
    if (auto a = c.ip(*v, opt.text))
      field = *a;
    else
      ok = false;
  };
  // `via [inet|inet6] ADDR` (also gw, or): false when the line ends early.
  auto gateway = [&](const Word& opt, std::optional<core::IpAddress>& field) {
    const Word* v = t.value(opt);
    if (!v)
      return false;
    const Word* addr = v;
    if ((v->text == "inet" || v->text == "inet6") && !t.done())
      addr = &t.next();
    if (auto a = c.ip(*addr, "via"))
      field = *a;
    else
      ok = false;
    return true;
  };
  // `nexthop OPTIONS` repeated until the end of the line (the first `nexthop` is consumed).
  auto nexthops = [&](const Word& first) {
    const Word* at = &first;
    while (at) {
      core::config::Nexthop nh;
      at = nullptr;
      while (!t.done()) {
        const Word& w = t.next();
        if (w.text == "nexthop") {
          at = &w;
          break;
        }
        if (w.text == "via" || w.text == "gw") {
          if (w.text == "gw")
            c.warning(w, "'gw' for routes is deprecated: write 'via'");
          if (!gateway(w, nh.via))
            return false;
        } else if (w.text == "dev" || w.text == "oif") {
          const Word* v = t.value(w);
          if (!v)
            return false;
          nh.dev = v->text;
        } else if (w.text == "weight") {
          const Word* v = t.value(w);
          if (!v)
            return false;
          if (auto n = c.integer(*v, "weight", 1, 256))
            nh.weight = std::uint16_t(*n);
          else
            ok = false;
        } else if (w.text == "onlink") {
          nh.onlink = true;
        } else if (reject_option(c, w, std::array<std::string_view, 1>{"realms"}, "nexthop")) {
          return false;
        } else {
          c.error(w, "'" + w.text + "' is not a nexthop option",
                  "a path takes via, dev, weight and onlink; the route's own options come "
                  "before the first 'nexthop'");
          return false;
        }
      }
      r.nexthops.push_back(nh);
      or_paths.push_back(false);
    }
    return true;
  };
  while (!t.done()) {
    const Word& opt = t.next();
    const std::string& o = opt.text;
    if (o == "blackhole" || o == "unreachable" || o == "prohibit" || o == "throw") {
      r.type = o == "blackhole"     ? RouteType::blackhole
               : o == "unreachable" ? RouteType::unreachable
               : o == "prohibit"    ? RouteType::prohibit
                                    : RouteType::throw_;
    } else if (o == "src") {
      address(opt, r.src);
    } else if (o == "to") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto p = c.prefix(*v, "to"))
        r.to = *p, have_to = true;
      else
        ok = false;
    } else if (o == "via" || o == "gw") {
      if (o == "gw")
        c.warning(opt, "'gw' for routes is deprecated: write 'via'");
      if (!gateway(opt, r.via))
        return std::nullopt;
    } else if (o == "or") {
      // keepalived's old spelling of a second path: `via A or B` is `nexthop via A nexthop via B`.
      if (!first_or)
        first_or = &opt; // warned at the end, with the whole modern form
      core::config::Nexthop nh;
      if (!gateway(opt, nh.via))
        return std::nullopt;
      r.nexthops.push_back(nh);
      or_paths.push_back(true);
    } else if (o == "nexthop") {
      // As with `ip route`, the paths end the line: each takes via, dev, weight and onlink.
      if (!nexthops(opt))
        return std::nullopt;
    } else if (o == "weight") {
      c.error(opt, "'weight' belongs to a path: write 'nexthop via ADDR weight N'");
      return std::nullopt;
    } else if (o == "dev" || o == "oif") {
      if (const Word* v = t.value(opt))
        r.dev = v->text;
      else
        return std::nullopt;
    } else if (o == "table") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto n = route_table(c, *v))
        r.table = *n;
      else
        ok = false;
    } else if (o == "metric" || o == "priority" || o == "preference") {
      number(opt, r.metric);
    } else if (o == "protocol" || o == "proto") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto p = route_protocol(c, *v))
        r.protocol = *p;
      else
        ok = false;
    } else if (o == "scope") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto s = scope_of(c, *v))
        r.scope = *s;
      else
        ok = false;
    } else if (o == "tos" || o == "dsfield") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto n = c.integer(*v, "tos", 0, 255))
        r.tos = std::uint8_t(*n);
      else
        ok = false;
    } else if (o == "onlink") {
      r.onlink = true;
    } else if (o == "mtu") {
      number(opt, r.mtu);
    } else if (o == "advmss") {
      number(opt, r.advmss);
    } else if (o == "hoplimit") {
      number(opt, r.hoplimit);
    } else if (o == "initcwnd") {
      number(opt, r.initcwnd);
    } else if (o == "initrwnd") {
      number(opt, r.initrwnd);
    } else if (o == "append") {
      r.append = true;
    } else if (o == "prepend") {
      r.append = false;
    } else if (o == "no_track") {
      r.no_track = true;
    } else if (o == "inet6") {
      inet6 = true;
    } else if (o == "track_group" && use == LineUse::static_) {
      if (const Word* v = t.value(opt))
        r.track_group = v->text;
      else
        return std::nullopt;
    } else if (reject_option(c, opt, unsupported, "route")) {
      return std::nullopt; // its values would only make confusing errors of their own
    } else if (!have_to && (core::IpPrefix::parse(o) || o == "default")) {
      if (o == "default")
        r.to = core::IpPrefix{inet6 ? *core::IpAddress::parse("::") : core::IpAddress::v4(0), 0};
      else
        r.to = *core::IpPrefix::parse(o);
      have_to = true;
    } else {
      c.error(opt, have_to ? "unknown route option '" + o + "'"
                           : "'" + o + "' is not a route destination or option");
      ok = false;
    }
  }
  if (!have_to) {
    c.error(line.keyword, "route has no destination");
    return std::nullopt;
  }
  auto fam = r.to.address.family();
  if (inet6 && fam != core::Family::inet6 && r.to.length == 0 && r.to.address.is_unspecified())
    r.to.address = *core::IpAddress::parse("::"), fam = core::Family::inet6;
  if (!r.nexthops.empty()) {
    // One form for the kernel: every path in `nexthops`. The line's own gateway/device is the
    // first path; `or` paths go out of the line's device like that first one.
    for (std::size_t k = 0; k < r.nexthops.size(); ++k)
      if (or_paths[k]) {
        r.nexthops[k].dev = r.dev;
        r.nexthops[k].onlink = r.onlink;
      }
    if (r.via || r.dev)
      r.nexthops.insert(r.nexthops.begin(), core::config::Nexthop{r.via, r.dev, {}, r.onlink});
    r.via.reset();
    r.dev.reset();
    r.onlink = false;
    if (first_or) {
      std::string modern;
      for (const auto& nh : r.nexthops)
        modern += std::string(modern.empty() ? "" : " ") + "nexthop" +
                  (nh.via ? " via " + nh.via->to_string() : "") + (nh.dev ? " dev " + *nh.dev : "");
      c.warning(*first_or, "'or' for routes is deprecated: write '" + modern + "'");
    }
    for (const auto& nh : r.nexthops)
      if (!nh.via && !nh.dev) {
        c.error(line.keyword, "a route path needs 'via' or 'dev'");
        ok = false;
        break;
      }
  }
  bool mixed = r.src && r.src->family() != fam;
  mixed = mixed || (r.via && r.via->family() != fam);
  for (const auto& nh : r.nexthops)
    mixed = mixed || (nh.via && nh.via->family() != fam);
  if (mixed) {
    c.error(line.keyword, "route mixes IPv4 and IPv6 addresses");
    ok = false;
  }
  if (r.type != RouteType::unicast && (r.via || r.dev || !r.nexthops.empty())) {
    c.error(line.keyword,
            "a " + std::string(line.keyword.text) + " route takes no 'via', 'dev' or 'nexthop'");
    ok = false;
  }
  if (!ok)
    return std::nullopt;
  return r;
}

std::optional<RuleSpec> lower_rule(Ctx& c, const Statement& line, LineUse use) {
  if (line.has_block) {
    c.no_block(line);
    return std::nullopt;
  }
  RuleSpec r;
  r.where = c.where(line.keyword);
  bool ok = true;
  bool inet6 = false;
  bool have_action = false;
  Tokens t(c, line);
  static constexpr std::array<std::string_view, 8> unsupported{
      {"not", "uidrange", "realms", "tunnel-id", "suppress_ifgroup", "type", "map-to", "nat"}};
  auto prefix_or_all = [&](const Word& opt, std::optional<core::IpPrefix>& field) {
    const Word* v = t.value(opt);
    if (!v) {
      ok = false;
      return;
    }
    if (v->text == "all")
      return;
    if (auto p = c.prefix(*v, opt.text))
      field = *p;
    else
      ok = false;
  };
  while (!t.done()) {
    const Word& opt = t.next();
    const std::string& o = opt.text;
    if (o == "from") {
      prefix_or_all(opt, r.from);
    } else if (o == "to") {
      prefix_or_all(opt, r.to);
    } else if (o == "table" || o == "lookup") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto n = route_table(c, *v))
        r.table = *n, r.action = RuleAction::lookup;
      else
        ok = false;
      have_action = true;
    } else if (o == "goto") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto n = c.integer(*v, "goto", 1, 0xFFFFFFFFLL))
        r.goto_target = std::uint32_t(*n), r.action = RuleAction::goto_;
      else
        ok = false;
      have_action = true;
    } else if (o == "nop") {
      r.action = RuleAction::nop;
      have_action = true;
    } else if (o == "blackhole" || o == "unreachable" || o == "prohibit") {
      r.action = o == "blackhole"     ? RuleAction::blackhole
                 : o == "unreachable" ? RuleAction::unreachable
                                      : RuleAction::prohibit;
      have_action = true;
    } else if (o == "iif" || o == "dev") {
      if (const Word* v = t.value(opt))
        r.iif = v->text;
      else
        return std::nullopt;
    } else if (o == "oif") {
      if (const Word* v = t.value(opt))
        r.oif = v->text;
      else
        return std::nullopt;
    } else if (o == "tos" || o == "dsfield") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto n = c.integer(*v, "tos", 0, 255))
        r.tos = std::uint8_t(*n);
      else
        ok = false;
    } else if (o == "fwmark") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      auto slash = v->text.find('/');
      Word mark = *v;
      mark.text = v->text.substr(0, slash);
      if (auto n = c.integer(mark, "fwmark", 0, 0xFFFFFFFFLL))
        r.fwmark = std::uint32_t(*n);
      else
        ok = false;
      if (slash != std::string::npos) {
        Word mask = *v;
        mask.text = v->text.substr(slash + 1);
        if (auto n = c.integer(mask, "fwmark mask", 0, 0xFFFFFFFFLL))
          r.fwmask = std::uint32_t(*n);
        else
          ok = false;
      }
    } else if (o == "preference" || o == "priority" || o == "order" || o == "pref") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto n = c.integer(*v, o, 0, 0xFFFFFFFFLL))
        r.preference = std::uint32_t(*n);
      else
        ok = false;
    } else if (o == "protocol") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto p = route_protocol(c, *v))
        r.protocol = *p;
      else
        ok = false;
    } else if (o == "ipproto" || o == "ip_proto") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto p = ip_proto(c, *v))
        r.ip_proto = *p;
      else
        ok = false;
    } else if (o == "sport" || o == "dport") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      auto pr = port_range(c, *v, o);
      if (!pr)
        ok = false;
      (o == "sport" ? r.sport : r.dport) = pr;
    } else if (o == "suppress_prefixlength") {
      const Word* v = t.value(opt);
      if (!v)
        return std::nullopt;
      if (auto n = c.integer(*v, o, 0, 128))
        r.suppress_prefixlength = std::uint32_t(*n);
      else
        ok = false;
    } else if (o == "l3mdev") {
      r.l3mdev = true;
      have_action = true;
    } else if (o == "no_track") {
      r.no_track = true;
    } else if (o == "inet6") {
      inet6 = true;
    } else if (o == "track_group" && use == LineUse::static_) {
      if (const Word* v = t.value(opt))
        r.track_group = v->text;
      else
        return std::nullopt;
    } else if (reject_option(c, opt, unsupported, "rule")) {
      ok = false;
    } else {
      c.error(opt, "unknown rule option '" + o + "'");
      ok = false;
    }
  }
  std::optional<core::Family> fam;
  for (const auto* p : {&r.from, &r.to})
    if (*p) {
      if (fam && *fam != (*p)->address.family()) {
        c.error(line.keyword, "rule mixes IPv4 and IPv6 addresses");
        ok = false;
      }
      fam = (*p)->address.family();
    }
  if (inet6 && fam && *fam != core::Family::inet6) {
    c.error(line.keyword, "'inet6' rule with IPv4 addresses");
    ok = false;
  }
  r.family = inet6 ? core::Family::inet6 : fam.value_or(core::Family::inet);
  if (!have_action) {
    c.error(line.keyword, "rule has no action", "add 'table N', 'goto N', 'nop' or a type");
    ok = false;
  }
  if (!r.preference)
    c.warning(line.keyword, "rule has no 'preference'; the kernel will pick one",
              "rules are added and removed as instances change state; give each a preference");
  if (!ok)
    return std::nullopt;
  return r;
}

} // namespace vigil::grammar::lower
