#pragma once
// rtnetlink programming for the VRRP side: addresses, routes and rules (instances' VIPs,
// virtual routes and rules, and the static ones), sent on the shared command socket without
// waiting for the kernel; a refusal is logged with the kernel's reason and what it concerned.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <spdlog/fwd.h>

#include "core/config/config.hpp"

namespace vigil::core::io {
class Interfaces;
} // namespace vigil::core::io

namespace vigil::daemon {

class NetChanges {
public:
  /// Both must outlive this object; `log` gets the refusals.
  NetChanges(core::io::Interfaces& interfaces, spdlog::logger& log);

  /// Sends one change for `who` ("(VI_1)", "static"). Removing something already gone, or
  /// adding a rule that exists, is not an error.
  void change(const std::string& who, bool add, std::string what, std::vector<std::uint8_t> msg);
  /// Adds (as a replace: changed attributes in place) or removes one address.
  void address(const std::string& who, bool add, const core::config::AddressSpec& spec,
               int ifindex);
  /// Routes, then rules when adding; rules, then routes when removing (a route may use a VIP
  /// as its source and a rule may name a route's table). A route on an interface that does
  /// not exist is logged and skipped.
  void routes_rules(const std::string& who, const std::vector<core::config::RouteSpec>& routes,
                    const std::vector<core::config::RuleSpec>& rules, bool add);
  /// static_ipaddress, static_routes and static_rules of `c`: put on the host, or taken off.
  void statics(const core::config::Config& c, bool add);
  /// A reload: the statics `running` has and `next` does not are removed, then `next`'s are
  /// (re)applied (an unchanged one is replaced by itself, which the kernel takes as a no-op).
  void reload_statics(const core::config::Config& running, const core::config::Config& next);
  /// Changes sent and not yet acknowledged by the kernel.
  std::size_t pending() const;

private:
  core::io::Interfaces& ifs_;
  spdlog::logger& log_;
};

} // namespace vigil::daemon
