#pragma once
// `global_defs { ... }` with every default made explicit by the loader.
#include <optional>
#include <string>
#include <vector>

#include "core/config/common.hpp"

namespace vigil::core::config {

struct SmtpServer {
  std::string host; ///< an address or a name (resolved asynchronously when used)
  std::uint16_t port = 25;
  bool operator==(const SmtpServer&) const = default;
};
BOOST_DESCRIBE_STRUCT(SmtpServer, (), (host, port))

/// `notify_fifo PATH [USER [GROUP]]` plus its optional `*_fifo_script`.
struct NotifyFifo {
  std::string path;
  std::optional<RunAs> owner;
  std::optional<Command> script;
  bool operator==(const NotifyFifo&) const = default;
};
BOOST_DESCRIBE_STRUCT(NotifyFifo, (), (path, owner, script))

/// `lvs_sync_daemon IF [inst] VI [id N] [maxlen N] [port N] [ttl N] [group IP]`.
struct LvsSyncDaemon {
  std::string interface;
  std::optional<std::string> instance;
  std::optional<std::uint8_t> id; ///< unset: the instance's VRID, or 0
  std::optional<std::uint16_t> maxlen;
  std::uint16_t port = 8848;
  std::optional<std::uint8_t> ttl;
  IpAddress group = IpAddress::v4(0xE0000051); // 224.0.0.81
  Where where;
  bool operator==(const LvsSyncDaemon&) const = default;
};
BOOST_DESCRIBE_STRUCT(LvsSyncDaemon, (), (interface, instance, id, maxlen, port, ttl, group))

struct LvsTimeouts {
  std::optional<std::uint32_t> tcp;
  std::optional<std::uint32_t> tcpfin;
  std::optional<std::uint32_t> udp;
  bool operator==(const LvsTimeouts&) const = default;
};
BOOST_DESCRIBE_STRUCT(LvsTimeouts, (), (tcp, tcpfin, udp))

/// `lvs_flush_on_stop`: what vigild removes from the IPVS table at stop.
enum class FlushOnStop : std::uint8_t {
  none,     ///< (default) the services it created, each deleted; foreign ones stay
  all,      ///< `lvs_flush_on_stop`: the whole table, foreign services too
  services, ///< `lvs_flush_on_stop VS`: its services, each deleted whole (foreign ones stay)
};
BOOST_DESCRIBE_ENUM(FlushOnStop, none, all, services)

/// GARP / unsolicited NA settings; global defaults, overridable per instance.
struct GarpSettings {
  Micros garp_master_delay = std::chrono::seconds(5); ///< 0: no second burst
  std::uint32_t garp_master_repeat = 5;
  Micros garp_lower_prio_delay = std::chrono::seconds(5);
  std::uint32_t garp_lower_prio_repeat = 5;
  Micros garp_master_refresh{0}; ///< 0: no periodic refresh
  std::uint32_t garp_master_refresh_repeat = 1;
  bool operator==(const GarpSettings&) const = default;
};
BOOST_DESCRIBE_STRUCT(GarpSettings, (),
                      (garp_master_delay, garp_master_repeat, garp_lower_prio_delay,
                       garp_lower_prio_repeat, garp_master_refresh, garp_master_refresh_repeat))

/// SNMP traps (keepalived's keywords): vigild is an AgentX subagent of the local snmpd and
/// sends a family's traps only with `enable_traps` and that family's `enable_snmp_*`.
struct Snmp {
  bool enable_traps = false;
  bool vrrp = false;    ///< enable_snmp_vrrp (enable_snmp_keepalived): KEEPALIVED-MIB VRRP traps
  bool checker = false; ///< enable_snmp_checker: KEEPALIVED-MIB checker traps
  bool rfcv2 = false;   ///< enable_snmp_rfcv2 (or enable_snmp_rfc): RFC 2787 VRRP-MIB traps
  bool rfcv3 = false;   ///< enable_snmp_rfcv3 (or enable_snmp_rfc): RFC 6527 VRRPv3-MIB traps
  std::string socket = "unix:/var/agentx/master"; ///< snmp_socket: the AgentX master
  bool any() const { return enable_traps && (vrrp || checker || rfcv2 || rfcv3); }
  bool operator==(const Snmp&) const = default;
};
BOOST_DESCRIBE_STRUCT(Snmp, (), (enable_traps, vrrp, checker, rfcv2, rfcv3, socket))

struct GlobalDefs {
  std::string router_id; ///< default: the host name
  std::vector<std::string> notification_email;
  std::string notification_email_from; ///< default: keepalived@<host name>
  std::optional<SmtpServer> smtp_server;
  std::string smtp_helo_name; ///< default: the host name
  Micros smtp_connect_timeout = std::chrono::seconds(30);
  bool smtp_alert = false;
  bool smtp_alert_vrrp = false;
  bool smtp_alert_checker = false;
  bool no_email_faults = false;
  bool checker_log_all_failures = false;
  std::optional<RunAs> script_user; ///< unset: keepalived_script if it exists, else root
  bool enable_script_security = false;
  std::string default_interface = "eth0";

  std::uint8_t vrrp_version = 2;
  IpAddress vrrp_mcast_group4 = IpAddress::v4(0xE0000012); // 224.0.0.18
  IpAddress vrrp_mcast_group6 = *IpAddress::parse("ff02::12");
  GarpSettings garp;
  Micros vrrp_garp_interval{0};
  Micros vrrp_gna_interval{0};
  bool vrrp_min_garp = false;
  bool vrrp_skip_check_adv_addr = false;
  bool vrrp_strict = false;
  bool vrrp_check_unicast_src = false;
  bool vrrp_higher_prio_send_advert = false;
  bool vrrp_lower_prio_no_advert = false;
  bool v3_checksum_as_v2 = false;
  std::uint32_t vrrp_down_timer_adverts = 3;
  Micros vrrp_startup_delay{0};
  bool vrrp_notify_priority_changes = false;
  std::optional<NotifyFifo> notify_fifo;
  std::optional<NotifyFifo> vrrp_notify_fifo;
  std::optional<NotifyFifo> lvs_notify_fifo;

  std::optional<LvsSyncDaemon> lvs_sync_daemon;
  bool lvs_flush = false;
  FlushOnStop lvs_flush_on_stop = FlushOnStop::none;
  LvsTimeouts lvs_timeouts;
  std::optional<int> max_auto_priority; ///< accepted; vigil has one thread and no RT escalation
  /// the state file's name carries the instance name (`instance`, else the config id)
  bool data_use_instance = false;
  Snmp snmp;
  Where where;
  bool operator==(const GlobalDefs&) const = default;
};
BOOST_DESCRIBE_STRUCT(GlobalDefs, (),
                      (router_id, notification_email, notification_email_from, smtp_server,
                       smtp_helo_name, smtp_connect_timeout, smtp_alert, smtp_alert_vrrp,
                       smtp_alert_checker, no_email_faults, checker_log_all_failures, script_user,
                       enable_script_security, default_interface, vrrp_version, vrrp_mcast_group4,
                       vrrp_mcast_group6, garp, vrrp_garp_interval, vrrp_gna_interval,
                       vrrp_min_garp, vrrp_skip_check_adv_addr, vrrp_strict, vrrp_check_unicast_src,
                       vrrp_higher_prio_send_advert, vrrp_lower_prio_no_advert, v3_checksum_as_v2,
                       vrrp_down_timer_adverts, vrrp_startup_delay, vrrp_notify_priority_changes,
                       notify_fifo, vrrp_notify_fifo, lvs_notify_fifo, lvs_sync_daemon, lvs_flush,
                       lvs_flush_on_stop, lvs_timeouts, max_auto_priority, data_use_instance, snmp))

} // namespace vigil::core::config
