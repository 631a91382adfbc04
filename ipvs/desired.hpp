#pragma once
// The kernel services a virtual_server stands for, with the destinations its health checks
// want, as keepalived 2.2.7 programs them (../shared/reference/keepalived.md 2.19):
//   - an address service, a fwmark service, or one service per address of each group entry
//     (ranges expanded, fwmark entries with their family);
//   - scheduler and flags: persistence (a bare persistence_timeout is 360 s, granularity alone
//     makes the service persistent), ops, flag-1..3 (sh-fallback/sh-port, mh-fallback/mh-port);
//     the persistence netmask is the granularity, else all ones (IPv4) or 128 (IPv6);
//   - destination ports: NAT keeps the real server's port; DR and TUN take the service's port
//     under an address service and 0 under a fwmark service; weight 0 is programmed as 0.
#include <cstdint>
#include <span>
#include <vector>

#include "core/config/config.hpp"
#include "ipvs/table.hpp"

namespace vigil::ipvs {

/// One destination the checks want in the virtual server (its configured port).
using Wanted = core::config::DesiredDestination;

/// The services of `vs` with `dests` in each. `group` is the virtual_server_group a `group`
/// virtual server names (nullptr otherwise). Entries are added to `table`.
void add_services(Table& table, const core::config::VirtualServer& vs,
                  const core::config::VirtualServerGroup* group, std::span<const Wanted> dests);

/// The kernel's IPPROTO number of a protocol (TCP 6, UDP 17, SCTP 132).
std::uint16_t protocol_number(core::config::Protocol p);

} // namespace vigil::ipvs
