#pragma once
// Vocabulary shared by every part of the configuration model. Field names follow
// keepalived.conf(5) keyword spellings so one can grep from the man page to the code.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include "core/diagnostic.hpp"
#include "core/ip.hpp"
#include "core/time.hpp"

namespace vigil::core::config {

/// Where a configuration object was written. Compares equal to every other `Where`: moving a
/// block inside the file does not make it a different or changed object (reload diff).
struct Where {
  SourcePos pos;
  bool operator==(const Where&) const { return true; }
};

/// An optional value kept on the heap, for large members that are mostly absent from objects
/// there are tens of thousands of (a real server's notify_up and notify_down, as
/// std::optional<Command>, were 368 of its 488 bytes). Reads like std::optional; copies deeply;
/// compares by value.
template <class T> class Boxed {
public:
  Boxed() = default;
  Boxed(std::nullopt_t) {}
  Boxed(T v) : p_(std::make_unique<T>(std::move(v))) {}
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o)
      p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(T v) {
    p_ = std::make_unique<T>(std::move(v));
    return *this;
  }
  Boxed& operator=(std::nullopt_t) {
    p_.reset();
    return *this;
  }

  bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  void reset() { p_.reset(); }

  friend bool operator==(const Boxed& a, const Boxed& b) {
    return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
  }

private:
  std::unique_ptr<T> p_;
};

/// `USER [GROUP]` for scripts.
struct RunAs {
  std::string user;
  std::optional<std::string> group;
  bool operator==(const RunAs&) const = default;
};
BOOST_DESCRIBE_STRUCT(RunAs, (), (user, group))

/// A command to run: the text as written and its words, split like a shell splits words
/// (quotes and backslashes honoured) but never run through a shell.
struct Command {
  std::string text;
  std::vector<std::string> argv;
  std::optional<RunAs> run_as; ///< unset: global script_user, else root
  Where where;
  bool operator==(const Command&) const = default;
};
BOOST_DESCRIBE_STRUCT(Command, (), (text, argv, run_as))

/// The scope of an address or route (`ip address ... scope`).
enum class Scope : std::uint8_t { global, site, link, host, nowhere };
BOOST_DESCRIBE_ENUM(Scope, global, site, link, host, nowhere)

/// `brd` of an address: an explicit address, or `+` (set host bits) / `-` (clear host bits).
enum class BroadcastMode : std::uint8_t { none, address, set_host_bits, clear_host_bits };
BOOST_DESCRIBE_ENUM(BroadcastMode, none, address, set_host_bits, clear_host_bits)

/// One line of `virtual_ipaddress`, `virtual_ipaddress_excluded` or `static_ipaddress`.
struct AddressSpec {
  IpPrefix address;
  BroadcastMode brd_mode = BroadcastMode::none;
  std::optional<IpAddress> brd;
  std::optional<std::string> dev; ///< unset: the instance interface (or default_interface)
  Scope scope = Scope::global;
  std::optional<std::string> label;
  std::optional<IpPrefix> peer;
  bool home = false;
  bool nodad = false;
  bool mngtmpaddr = false;
  bool noprefixroute = false;
  bool autojoin = false;
  bool no_track = false;
  bool use_vmac = false;
  /// IPv6 preferred lifetime in seconds (0xFFFFFFFF = forever); unset = forever, except that a
  /// /128 defaults to 0 (deprecated, so it is never chosen as a source address).
  std::optional<std::uint32_t> preferred_lft;
  std::optional<std::string> track_group;
  Where where;
  bool operator==(const AddressSpec&) const = default;
};
BOOST_DESCRIBE_STRUCT(AddressSpec, (),
                      (address, brd_mode, brd, dev, scope, label, peer, home, nodad, mngtmpaddr,
                       noprefixroute, autojoin, no_track, use_vmac, preferred_lft, track_group))

enum class RouteType : std::uint8_t { unicast, blackhole, unreachable, prohibit, throw_ };
BOOST_DESCRIBE_ENUM(RouteType, unicast, blackhole, unreachable, prohibit, throw_)

/// One line of `virtual_routes` or `static_routes` (the `ip route add` subset vigil programs).
/// One path of a multipath route (`nexthop via ADDR [dev IF] [weight N] [onlink]`).
struct Nexthop {
  std::optional<IpAddress> via;
  std::optional<std::string> dev;
  std::optional<std::uint16_t> weight; ///< 1..256 (the kernel's default is 1)
  bool onlink = false;
  bool operator==(const Nexthop&) const = default;
};
BOOST_DESCRIBE_STRUCT(Nexthop, (), (via, dev, weight, onlink))

struct RouteSpec {
  RouteType type = RouteType::unicast;
  IpPrefix to;
  std::optional<IpAddress> src;
  std::optional<IpAddress> via;
  std::optional<std::string> dev;
  std::uint32_t table = 254; ///< main
  std::optional<std::uint32_t> metric;
  std::optional<std::uint8_t> protocol;
  std::optional<Scope> scope;
  std::optional<std::uint8_t> tos;
  bool onlink = false;
  std::optional<std::uint32_t> mtu;
  std::optional<std::uint32_t> advmss;
  std::optional<std::uint32_t> hoplimit;
  std::optional<std::uint32_t> initcwnd;
  std::optional<std::uint32_t> initrwnd;
  /// A multipath route (RTA_MULTIPATH): every path, in order. When not empty, `via`, `dev` and
  /// `onlink` are unset and the paths carry them (the lowering moves a line's own gateway into
  /// the first path, and `or ADDR` paths inherit the line's device).
  std::vector<Nexthop> nexthops;
  bool append = false;
  bool no_track = false;
  std::optional<std::string> track_group;
  Where where;
  bool operator==(const RouteSpec&) const = default;
};
BOOST_DESCRIBE_STRUCT(RouteSpec, (),
                      (type, to, src, via, dev, table, metric, protocol, scope, tos, onlink, mtu,
                       advmss, hoplimit, initcwnd, initrwnd, nexthops, append, no_track,
                       track_group))

enum class RuleAction : std::uint8_t { lookup, goto_, nop, blackhole, unreachable, prohibit };
BOOST_DESCRIBE_ENUM(RuleAction, lookup, goto_, nop, blackhole, unreachable, prohibit)

struct PortRange {
  std::uint16_t start = 0;
  std::uint16_t end = 0;
  bool operator==(const PortRange&) const = default;
};
BOOST_DESCRIBE_STRUCT(PortRange, (), (start, end))

/// One line of `virtual_rules` or `static_rules` (the `ip rule add` subset vigil programs).
struct RuleSpec {
  Family family = Family::inet;
  std::optional<IpPrefix> from;
  std::optional<IpPrefix> to;
  RuleAction action = RuleAction::lookup;
  std::uint32_t table = 0;
  std::uint32_t goto_target = 0;
  std::optional<std::uint32_t> preference;
  std::optional<std::string> iif;
  std::optional<std::string> oif;
  std::optional<std::uint8_t> tos;
  std::optional<std::uint32_t> fwmark;
  std::optional<std::uint32_t> fwmask;
  std::optional<std::uint8_t> protocol;
  std::optional<std::uint8_t> ip_proto;
  std::optional<PortRange> sport;
  std::optional<PortRange> dport;
  std::optional<std::uint32_t> suppress_prefixlength;
  bool l3mdev = false;
  bool no_track = false;
  std::optional<std::string> track_group;
  Where where;
  bool operator==(const RuleSpec&) const = default;
};
BOOST_DESCRIBE_STRUCT(RuleSpec, (),
                      (family, from, to, action, table, goto_target, preference, iif, oif, tos,
                       fwmark, fwmask, protocol, ip_proto, sport, dport, suppress_prefixlength,
                       l3mdev, no_track, track_group))

} // namespace vigil::core::config

namespace vigil::core {
BOOST_DESCRIBE_ENUM(Family, inet, inet6)
}
