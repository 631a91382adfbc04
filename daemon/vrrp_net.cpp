#include "daemon/vrrp_net.hpp"

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "core/io/interfaces.hpp"
#include "core/io/netlink.hpp"
#include "core/io/rtnl.hpp"

namespace vigil::daemon {

NetChanges::NetChanges(core::io::Interfaces& interfaces, spdlog::logger& log)
    : ifs_(interfaces), log_(log) {}

void NetChanges::change(const std::string& who, bool add, std::string what,
                        std::vector<std::uint8_t> msg) {
  ifs_.command().request(std::move(msg), {},
                         [this, who, add, what = std::move(what)](const core::io::NetlinkError* e) {
                           if (!e)
                             return;
                           if (!add && (e->code == EADDRNOTAVAIL || e->code == ENODEV ||
                                        e->code == ESRCH || e->code == ENOENT))
                             return;
                           if (add && e->code == EEXIST)
                             return; // already there (a rule)
                           log_.error("{} cannot {} {}: {}", who, add ? "add" : "remove", what,
                                      e->message);
                         });
}

void NetChanges::address(const std::string& who, bool add, const core::config::AddressSpec& spec,
                         int ifindex) {
  change(who, add, "address " + spec.address.to_string(),
         core::io::address_request(add, ifindex, spec));
}

void NetChanges::routes_rules(const std::string& who,
                              const std::vector<core::config::RouteSpec>& routes,
                              const std::vector<core::config::RuleSpec>& rules, bool add) {
  auto do_routes = [&] {
    for (const auto& rt : routes) {
      // The interface index of `dev` (0: none); nullopt (logged) when it does not exist.
      auto index_of = [&](const std::optional<std::string>& dev) -> std::optional<int> {
        if (!dev)
          return 0;
        if (const auto* l = ifs_.find(*dev))
          return l->index;
        log_.error("{} cannot {} route {}: interface {} does not exist", who,
                   add ? "add" : "remove", rt.to.to_string(), *dev);
        return std::nullopt;
      };
      auto oif = index_of(rt.dev);
      std::vector<int> path_oifs;
      for (const auto& nh : rt.nexthops)
        if (auto i = index_of(nh.dev); i && oif)
          path_oifs.push_back(*i);
        else
          oif.reset();
      if (!oif)
        continue;
      change(who, add, "route " + rt.to.to_string(),
             core::io::route_request(add, rt, *oif, path_oifs));
    }
  };
  auto do_rules = [&] {
    for (const auto& ru : rules)
      change(who, add,
             "rule" + (ru.preference ? " " + std::to_string(*ru.preference) : std::string()),
             core::io::rule_request(add, ru));
  };
  if (add) {
    do_routes();
    do_rules();
  } else {
    do_rules();
    do_routes();
  }
}

void NetChanges::statics(const core::config::Config& c, bool add) {
  if (!add)
    routes_rules("static", c.static_routes, c.static_rules, false);
  for (const auto& a : c.static_ipaddress) {
    std::string dev = a.dev.value_or(c.global_defs.default_interface);
    const auto* l = ifs_.find(dev);
    if (!l) {
      log_.error("static address {}: interface {} does not exist", a.address.to_string(), dev);
      continue;
    }
    address("static", add, a, l->index);
  }
  if (add)
    routes_rules("static", c.static_routes, c.static_rules, true);
}

void NetChanges::reload_statics(const core::config::Config& running,
                                const core::config::Config& next) {
  core::config::Config gone;
  auto missing = [](const auto& list, const auto& item) {
    return std::find(list.begin(), list.end(), item) == list.end();
  };
  for (const auto& a : running.static_ipaddress)
    if (missing(next.static_ipaddress, a))
      gone.static_ipaddress.push_back(a);
  for (const auto& r : running.static_routes)
    if (missing(next.static_routes, r))
      gone.static_routes.push_back(r);
  for (const auto& r : running.static_rules)
    if (missing(next.static_rules, r))
      gone.static_rules.push_back(r);
  gone.global_defs.default_interface = running.global_defs.default_interface;
  statics(gone, false);
  statics(next, true);
}

std::size_t NetChanges::pending() const {
  return ifs_.command().pending();
}

} // namespace vigil::daemon
