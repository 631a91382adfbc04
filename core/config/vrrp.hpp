#pragma once
// VRRP side of the model: vrrp_script, track_file, vrrp_sync_group, vrrp_instance.
#include <optional>
#include <string>
#include <vector>

#include "core/config/common.hpp"
#include "core/config/global_defs.hpp"

namespace vigil::core::config {

/// `vrrp_script NAME { ... }`
struct VrrpScript {
  std::string name;
  Command script;
  Micros interval = std::chrono::seconds(1);
  Micros timeout = std::chrono::seconds(1); ///< default: the interval
  int weight = 0;                           ///< -253..253; 0: failure means FAULT
  bool weight_reverse = false;
  std::uint32_t rise = 1;
  std::uint32_t fall = 1;
  bool init_fail = false;
  Where where;
  bool operator==(const VrrpScript&) const = default;
};
BOOST_DESCRIBE_STRUCT(VrrpScript, (),
                      (name, script, interval, timeout, weight, weight_reverse, rise, fall,
                       init_fail))

/// `track_file NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] }`
struct TrackFile {
  std::string name;
  std::string file;
  int weight = 1;
  bool weight_reverse = false;
  std::optional<long> init_file_value; ///< set when init_file is given
  bool init_file_overwrite = false;
  Where where;
  bool operator==(const TrackFile&) const = default;
};
BOOST_DESCRIBE_STRUCT(TrackFile, (),
                      (name, file, weight, weight_reverse, init_file_value, init_file_overwrite))

/// One entry of `track_interface`, `track_script` or `track_file`.
struct TrackRef {
  std::string name;
  std::optional<int> weight; ///< unset: the tracked object's own weight (0 for interfaces)
  bool reverse = false;
  Where where;
  bool operator==(const TrackRef&) const = default;
};
BOOST_DESCRIBE_STRUCT(TrackRef, (), (name, weight, reverse))

struct Trackers {
  std::vector<TrackRef> track_interface;
  std::vector<TrackRef> track_script;
  std::vector<TrackRef> track_file;
  bool operator==(const Trackers&) const = default;
};
BOOST_DESCRIBE_STRUCT(Trackers, (), (track_interface, track_script, track_file))

/// Scripts run on transitions (instances and sync groups).
struct NotifyScripts {
  std::optional<Command> notify_master;
  std::optional<Command> notify_backup;
  std::optional<Command> notify_fault;
  std::optional<Command> notify_stop;
  std::optional<Command> notify_deleted;
  std::optional<Command> notify;
  std::optional<Command> notify_master_rx_lower_pri;
  bool notify_priority_changes = false;
  bool smtp_alert = false; ///< default: global smtp_alert_vrrp or smtp_alert
  bool operator==(const NotifyScripts&) const = default;
};
BOOST_DESCRIBE_STRUCT(NotifyScripts, (),
                      (notify_master, notify_backup, notify_fault, notify_stop, notify_deleted,
                       notify, notify_master_rx_lower_pri, notify_priority_changes, smtp_alert))

/// `vrrp_sync_group NAME { group { ... } ... }`
struct SyncGroup {
  std::string name;
  std::vector<std::string> group;
  std::vector<Where> member_where; ///< where each member is named (diagnostics only)
  Trackers trackers;
  NotifyScripts notify;
  Where where;
  bool operator==(const SyncGroup&) const = default;
};
BOOST_DESCRIBE_STRUCT(SyncGroup, (), (name, group, trackers, notify))

enum class InitialState : std::uint8_t { backup, master };
BOOST_DESCRIBE_ENUM(InitialState, backup, master)

enum class AuthType : std::uint8_t { none, pass, ah };
BOOST_DESCRIBE_ENUM(AuthType, none, pass, ah)

/// Which VRRPv3 IPv4 checksum form this instance sends (received adverts accept both).
enum class V3Checksum : std::uint8_t {
  with_pseudo_header, ///< RFC 5798 reading; what keepalived and FRR send
  message_only,       ///< RFC 9568 5.2.8 (`v3_checksum_as_v2`)
};
BOOST_DESCRIBE_ENUM(V3Checksum, with_pseudo_header, message_only)

struct UnicastPeer {
  IpAddress address;
  std::optional<std::uint8_t> min_ttl;
  std::optional<std::uint8_t> max_ttl;
  bool operator==(const UnicastPeer&) const = default;
};
BOOST_DESCRIBE_STRUCT(UnicastPeer, (), (address, min_ttl, max_ttl))

struct Vmac {
  std::optional<std::string> name;                ///< default `vrrp.VRID`
  std::optional<std::array<std::uint8_t, 6>> mac; ///< default 00:00:5e:00:0{1,2}:VRID
  bool xmit_base = false;                         ///< `vmac_xmit_base`
  bool operator==(const Vmac&) const = default;
};
BOOST_DESCRIBE_STRUCT(Vmac, (), (name, mac, xmit_base))

/// `vrrp_instance NAME { ... }`. Every inherited default (version, GARP, strict, ...) is resolved
/// by the loader, so the runtime never consults global_defs for instance behaviour.
struct VrrpInstance {
  std::string name;
  Family family = Family::inet; ///< from the VIPs (or unicast peers, or native_ipv6)
  InitialState state = InitialState::backup;
  std::optional<std::string> interface;
  std::optional<Vmac> use_vmac;
  bool dont_track_primary = false;
  Trackers trackers;
  std::optional<IpAddress> src_ip; ///< mcast_src_ip / unicast_src_ip
  bool track_src_ip = false;
  IpAddress mcast_dst_ip; ///< default: vrrp_mcast_group4/6
  std::vector<UnicastPeer> unicast_peer;
  bool unicast_configured = false; ///< unicast_src_ip or unicast_peer given
  bool unicast_fault_no_peer = false;
  std::uint8_t unicast_ttl = 255;
  bool check_unicast_src = false;
  std::uint8_t version = 2;
  V3Checksum v3_checksum = V3Checksum::with_pseudo_header;
  std::uint8_t virtual_router_id = 0;
  std::uint8_t priority = 100;
  Micros advert_int = std::chrono::seconds(1);
  std::uint32_t down_timer_adverts = 3;
  AuthType auth_type = AuthType::none;
  std::string auth_pass; ///< at most 8 bytes, as on the wire
  std::vector<AddressSpec> virtual_ipaddress;
  std::vector<AddressSpec> virtual_ipaddress_excluded;
  std::vector<RouteSpec> virtual_routes;
  std::vector<RuleSpec> virtual_rules;
  bool no_virtual_ipaddress = false;
  bool promote_secondaries = false;
  bool accept = true; ///< default true unless strict mode
  bool preempt = true;
  Micros preempt_delay{0};
  bool skip_check_adv_addr = false;
  bool strict_mode = false;
  bool lower_prio_no_advert = false;
  bool higher_prio_send_advert = false;
  std::uint8_t debug = 0;
  GarpSettings garp;
  NotifyScripts notify;
  std::optional<std::string> sync_group; ///< filled from vrrp_sync_group membership
  Where where;
  bool operator==(const VrrpInstance&) const = default;
};
BOOST_DESCRIBE_STRUCT(VrrpInstance, (),
                      (name, family, state, interface, use_vmac, dont_track_primary, trackers,
                       src_ip, track_src_ip, mcast_dst_ip, unicast_peer, unicast_configured,
                       unicast_fault_no_peer, unicast_ttl, check_unicast_src, version, v3_checksum,
                       virtual_router_id, priority, advert_int, down_timer_adverts, auth_type,
                       auth_pass, virtual_ipaddress, virtual_ipaddress_excluded, virtual_routes,
                       virtual_rules, no_virtual_ipaddress, promote_secondaries, accept, preempt,
                       preempt_delay, skip_check_adv_addr, strict_mode, lower_prio_no_advert,
                       higher_prio_send_advert, debug, garp, notify, sync_group))

} // namespace vigil::core::config
