#pragma once
// The generic-netlink messages of Linux IPVS (family "IPVS", version 1), built and parsed as
// bytes without IO. The command and attribute numbers are the kernel's (uapi linux/ip_vs.h);
// the io part resolves the family id, sends these and hands the replies back here.
//
// A built message is a whole netlink message: nlmsghdr (type = the family id, the flags given,
// sequence and port 0: the socket fills them in), genlmsghdr (command, version 1), then the
// attributes. Addresses go as 16 bytes (an IPv4 address in the first 4), ports in network
// order, as the kernel and ipvsadm exchange them.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "ipvs/table.hpp"

namespace vigil::ipvs::genl {

inline constexpr const char* family_name = "IPVS";
inline constexpr std::uint8_t family_version = 1;

enum Cmd : std::uint8_t {
  cmd_new_service = 1,
  cmd_set_service = 2,
  cmd_del_service = 3,
  cmd_get_service = 4,
  cmd_new_dest = 5,
  cmd_set_dest = 6,
  cmd_del_dest = 7,
  cmd_get_dest = 8,
  cmd_new_daemon = 9,
  cmd_del_daemon = 10,
  cmd_get_daemon = 11,
  cmd_set_config = 12,
  cmd_get_config = 13,
  cmd_get_info = 15,
  cmd_flush = 17,
};

enum CmdAttr : std::uint16_t {
  attr_service = 1,
  attr_dest = 2,
  attr_daemon = 3,
  attr_timeout_tcp = 4,
  attr_timeout_tcp_fin = 5,
  attr_timeout_udp = 6,
};

enum SvcAttr : std::uint16_t {
  svc_af = 1,
  svc_protocol = 2,
  svc_addr = 3,
  svc_port = 4,
  svc_fwmark = 5,
  svc_sched_name = 6,
  svc_flags = 7,
  svc_timeout = 8,
  svc_netmask = 9,
  svc_stats = 10,
  svc_pe_name = 11,
  svc_stats64 = 12,
};

enum DaemonAttr : std::uint16_t {
  daemon_state = 1,
  daemon_mcast_ifn = 2,
  daemon_sync_id = 3,
  daemon_sync_maxlen = 4,
  daemon_mcast_group = 5,
  daemon_mcast_group6 = 6,
  daemon_mcast_port = 7,
  daemon_mcast_ttl = 8,
};

enum DestAttr : std::uint16_t {
  dest_addr = 1,
  dest_port = 2,
  dest_fwd_method = 3,
  dest_weight = 4,
  dest_u_thresh = 5,
  dest_l_thresh = 6,
  dest_active_conns = 7,
  dest_inact_conns = 8,
  dest_persist_conns = 9,
  dest_stats = 10,
  dest_addr_family = 11,
  dest_stats64 = 12,
  dest_tun_type = 13,
  dest_tun_port = 14,
  dest_tun_flags = 15,
};

/// netlink message flags used here (linux/netlink.h values).
inline constexpr std::uint16_t nlm_f_request = 0x1;
inline constexpr std::uint16_t nlm_f_ack = 0x4;
inline constexpr std::uint16_t nlm_f_dump = 0x300;

using Bytes = std::vector<std::uint8_t>;

/// The message that applies `op` (NEW/SET/DEL_SERVICE, NEW/SET/DEL_DEST) for family `family_id`.
Bytes encode(const Op& op, std::uint16_t family_id);
/// The same message appended to `out` (a batch: messages back to back, each 4-byte aligned).
void encode_to(const Op& op, std::uint16_t family_id, Bytes& out);
/// Dump requests: every service; the destinations of one service.
Bytes dump_services(std::uint16_t family_id);
Bytes dump_destinations(std::uint16_t family_id, const ServiceKey& service);

/// Removes every service (IPVS_CMD_FLUSH).
Bytes flush(std::uint16_t family_id);

/// The connection timeouts (seconds); zero in a request leaves that one unchanged.
struct Timeouts {
  std::uint32_t tcp = 0;
  std::uint32_t tcpfin = 0;
  std::uint32_t udp = 0;
  bool operator==(const Timeouts&) const = default;
};
Bytes get_config(std::uint16_t family_id);
/// Sets the non-zero timeouts of `t` (the kernel keeps the others).
Bytes set_config(std::uint16_t family_id, const Timeouts& t);

/// A connection-synchronisation daemon (IPVS_CMD_NEW_DAEMON).
inline constexpr std::uint32_t daemon_master = 1; ///< IP_VS_STATE_MASTER
inline constexpr std::uint32_t daemon_backup = 2; ///< IP_VS_STATE_BACKUP
struct SyncDaemon {
  std::uint32_t state = daemon_master;
  std::string interface;
  std::uint32_t sync_id = 0;
  std::uint16_t maxlen = 0; ///< 0: the kernel's default
  std::optional<core::IpAddress> group;
  std::uint16_t port = 0; ///< 0: the kernel's default (8848)
  std::uint8_t ttl = 0;   ///< 0: the kernel's default (1)
  bool operator==(const SyncDaemon&) const = default;
};
Bytes new_daemon(std::uint16_t family_id, const SyncDaemon& d);
Bytes del_daemon(std::uint16_t family_id, std::uint32_t state);
Bytes dump_daemons(std::uint16_t family_id);

/// One service or destination of a dump reply, or why the message could not be read.
struct ParseError {
  std::string what;
};
std::variant<Service, ParseError> parse_service(std::span<const std::uint8_t> message);
std::variant<Destination, ParseError> parse_destination(std::span<const std::uint8_t> message);
/// A service's or destination's traffic counters (IPVS_*_ATTR_STATS64, else STATS).
struct Stats {
  std::uint64_t conns = 0;
  std::uint64_t inpkts = 0;
  std::uint64_t outpkts = 0;
  std::uint64_t inbytes = 0;
  std::uint64_t outbytes = 0;
  bool operator==(const Stats&) const = default;
};
std::optional<Stats> parse_service_stats(std::span<const std::uint8_t> message);
std::optional<Stats> parse_destination_stats(std::span<const std::uint8_t> message);

/// The reply to get_config.
std::variant<Timeouts, ParseError> parse_timeouts(std::span<const std::uint8_t> message);
/// One daemon of a dump_daemons reply.
std::variant<SyncDaemon, ParseError> parse_daemon(std::span<const std::uint8_t> message);

} // namespace vigil::ipvs::genl
