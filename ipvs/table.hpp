#pragma once
// The IPVS table as data, and the plan that turns the kernel's actual table into the desired
// one. Level-triggered: the IPVS driver recomputes the desired table (from the configuration and
// the checkers' verdicts) and applies plan(desired, actual) at start, on reload and after
// errors. Pure: no netlink here; the io part encodes each Op as a generic-netlink message.
#include <compare>
#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ip.hpp"

namespace vigil::ipvs {

/// A virtual service: by fwmark, or by protocol, address and port (IPVS_SVC_ATTR_*).
struct ServiceKey {
  std::uint32_t fwmark = 0; ///< non-zero: a fwmark service (address default, port 0)
  core::Family family = core::Family::inet;
  std::uint16_t protocol = 0; ///< IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP
  core::IpAddress address;
  std::uint16_t port = 0;
  auto operator<=>(const ServiceKey&) const = default;
};

struct Service {
  ServiceKey key;
  std::string scheduler = "wlc";
  std::uint32_t flags = 0;   ///< IP_VS_SVC_F_* (persistent, one-packet, scheduler flags)
  std::uint32_t timeout = 0; ///< persistence timeout in seconds
  std::uint32_t netmask = 0; ///< persistence granularity (prefix length for IPv6)
  std::string pe_name;       ///< persistence engine ("sip") or empty
  bool operator==(const Service&) const = default;
};

/// A real server of a service (IPVS_DEST_ATTR_*).
struct Destination {
  core::IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t forward = 0; ///< IP_VS_CONN_F_MASQ / TUNNEL / DROUTE
  std::uint32_t weight = 1;
  std::uint32_t upper_threshold = 0;
  std::uint32_t lower_threshold = 0;
  std::uint8_t tunnel_type = 0;
  std::uint16_t tunnel_port = 0;
  std::uint16_t tunnel_flags = 0;
  bool operator==(const Destination&) const = default;
};

using DestinationKey = std::pair<core::IpAddress, std::uint16_t>;

struct ServiceEntry {
  Service service;
  std::map<DestinationKey, Destination> destinations;
  bool operator==(const ServiceEntry&) const = default;
};

using Table = std::map<ServiceKey, ServiceEntry>;

enum class OpKind : std::uint8_t {
  add_service,
  edit_service,
  add_destination,
  edit_destination,
  delete_destination,
  delete_service,
};

struct Op {
  OpKind kind;
  Service service;
  std::optional<Destination> destination;
};

/// The operations that make `actual` equal to `desired`, in an order the kernel accepts:
/// services are created (or edited) before their destinations, a destination is removed before
/// another takes its place, and services go last (removing a service removes its destinations,
/// so those are not removed one by one). Unchanged entries produce nothing.
std::vector<Op> plan(const Table& desired, const Table& actual);

/// A destination of a service, as the kernel's trash remembers it.
using TrashKey = std::pair<ServiceKey, DestinationKey>;

/// The kernel keeps removed destinations in a trash list for about two minutes, newest first,
/// and every destination add walks it until a match (which it revives). Adding 37,000
/// destinations in the order they were removed costs a walk of the whole list each (minutes
/// under emulation); in the reverse order each match is at the head. `removed` lists what left
/// the kernel, oldest first. Moves `ops`' destination adds behind the other changes (before
/// service deletions) with the ones in `removed` first, most recently removed first; the rest
/// keep their order.
void order_for_trash(std::vector<Op>& ops, const std::vector<TrashKey>& removed);

/// Stop order: every destination of `table`'s services in `owned`, then the service, services
/// and destinations in reverse key order, so that a later plan() (key order) finds each in the
/// kernel's trash at its head.
std::vector<Op> removal(const Table& table, const std::set<ServiceKey>& owned, bool services_only);

} // namespace vigil::ipvs
