#pragma once
// rtnetlink messages vigil sends and reads: links and addresses (routes and rules join them
// with the tracking issue). Parsing turns kernel messages into plain structs; building turns
// the configuration's AddressSpec into RTM_NEWADDR / RTM_DELADDR.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "core/config/common.hpp"
#include "core/ip.hpp"

struct nlmsghdr;

namespace vigil::core::io {

using Mac = std::array<std::uint8_t, 6>;

struct Link {
  int index = 0;
  std::string name;
  unsigned flags = 0;         ///< IFF_* (IFF_UP administratively up)
  std::uint8_t operstate = 0; ///< IF_OPER_* (RFC 2863); IF_OPER_UP = 6
  Mac mac{};
  bool has_mac = false;
  bool up() const; ///< administratively up and carrier present (IFF_UP + IFF_LOWER_UP)
};

struct Address {
  int index = 0;
  IpAddress address;
  std::uint8_t prefixlen = 0;
  std::uint32_t flags = 0; ///< IFA_F_* (IFA_F_SECONDARY, IFA_F_TENTATIVE, ...)
  std::uint8_t scope = 0;
  std::string label;
  bool secondary() const;
  bool tentative() const;
};

/// Parses RTM_NEWLINK / RTM_DELLINK; nullopt for other messages.
std::optional<Link> parse_link(const nlmsghdr& nlh);
/// Parses RTM_NEWADDR / RTM_DELADDR; nullopt for other messages or families.
std::optional<Address> parse_address(const nlmsghdr& nlh);

std::vector<std::uint8_t> dump_links_request();
std::vector<std::uint8_t> dump_addresses_request();

/// RTM_NEWADDR (add = true, with NLM_F_CREATE | NLM_F_REPLACE) or RTM_DELADDR for `spec` on
/// interface `ifindex`. IPv6 addresses get IFA_F_NODAD so they are usable at once.
std::vector<std::uint8_t> address_request(bool add, int ifindex, const config::AddressSpec& spec);

/// RTM_NEWLINK creating a macvlan `name` on `parent` with `mac`, in private mode (a VRRP VMAC),
/// administratively down (see addr_gen_none_request).
std::vector<std::uint8_t> macvlan_request(const std::string& name, int parent, const Mac& mac);
/// Turns IPv6 address generation off on `ifindex` (before it goes up): nodes sharing a VMAC must
/// not derive the same link-local address from it (RFC 9568 7.4).
std::vector<std::uint8_t> addr_gen_none_request(int ifindex);
/// RTM_DELLINK of interface `ifindex`.
std::vector<std::uint8_t> link_delete_request(int ifindex);
/// RTM_NEWLINK setting interface `ifindex` administratively up.
std::vector<std::uint8_t> link_up_request(int ifindex);

/// RTM_NEWROUTE (add) or RTM_DELROUTE for `spec`; `oif` is the resolved `dev` (0: none) and
/// `path_oifs` the resolved `dev` of each of `spec.nexthops` (0: none; same length), sent as
/// one multipath route (RTA_MULTIPATH). Adding replaces an existing identical route
/// (idempotent) unless `append` is set.
std::vector<std::uint8_t> route_request(bool add, const config::RouteSpec& spec, int oif,
                                        std::span<const int> path_oifs = {});

/// RTM_NEWRULE (add) or RTM_DELRULE for `spec`.
std::vector<std::uint8_t> rule_request(bool add, const config::RuleSpec& spec);

} // namespace vigil::core::io
