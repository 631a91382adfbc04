#pragma once
// Reload of VRRP instances, decided without touching anything: which running instance each
// instance of the new configuration continues, whether it is unchanged, changed in place or
// must restart, and the difference in addresses, routes and rules a master applies in place.
// Pure: the daemon executes the result (daemon/vrrp_subsystem.cpp).
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config/vrrp.hpp"

namespace vigil::vrrp {

/// What makes a changed instance a different one: its identity on the wire, its socket, or
/// address ownership (the keyword, for the log). nullopt when the change can be made in place.
std::optional<std::string> restart_reason(const core::config::VrrpInstance& before,
                                          const core::config::VrrpInstance& after);

/// The keywords whose values differ between two configurations of an instance, comma-separated
/// in declaration order ("priority, virtual_ipaddress").
std::string changed_keywords(const core::config::VrrpInstance& before,
                             const core::config::VrrpInstance& after);

/// How one instance of the new configuration follows from the running ones.
struct InstanceMatch {
  enum class Kind { added, unchanged, in_place, restart };
  Kind kind = Kind::added;
  std::optional<std::size_t> running; ///< index into the running list (not for `added`)
  std::string reason;                 ///< `restart`: restart_reason()
};

struct ReloadPlan {
  std::vector<InstanceMatch> next;  ///< one per new instance, in the new configuration's order
  std::vector<std::size_t> removed; ///< running instances no new one continues, in order
};

/// Matches each new instance with a running one: by name, else by VRID + family + interface
/// (a renamed instance), names first over the whole list; each running instance is continued
/// at most once. Linear in the number of
/// instances (maps, no pairwise scan: a thousand instances reload in a blink).
ReloadPlan plan_reload(const std::vector<const core::config::VrrpInstance*>& running,
                       const std::vector<core::config::VrrpInstance>& next);

/// An address of an instance where it goes: the interface index it resolved to (0: the
/// interface does not exist).
struct PlacedAddress {
  core::config::AddressSpec spec;
  int ifindex = 0;
  bool operator==(const PlacedAddress&) const = default;
};

/// What a master applies when its addresses change in place.
struct AddressChanges {
  std::vector<PlacedAddress> remove;   ///< no longer configured at that place
  std::vector<PlacedAddress> add;      ///< new, or its attributes changed (sent as a replace)
  std::vector<PlacedAddress> unplaced; ///< new but its interface does not exist
  std::set<core::IpAddress> announce;  ///< new at their place: gratuitous ARP / NA for these
};

/// The difference between the addresses an instance had and has. An address that stays where
/// it was with the same attributes is in no list; one whose attributes changed is only added
/// (replaced in place, never removed first) and not announced again.
AddressChanges diff_addresses(const std::vector<PlacedAddress>& before,
                              const std::vector<PlacedAddress>& after);

/// Routes and rules a master removes and adds when its virtual_routes / virtual_rules change.
struct RouteChanges {
  std::vector<core::config::RouteSpec> routes_gone, routes_new;
  std::vector<core::config::RuleSpec> rules_gone, rules_new;
};
RouteChanges diff_routes(const core::config::VrrpInstance& before,
                         const core::config::VrrpInstance& after);

} // namespace vigil::vrrp
