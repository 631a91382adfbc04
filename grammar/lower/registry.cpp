#include "grammar/lower/registry.hpp"

#include <algorithm>
#include <array>

#include "grammar/lower/context.hpp"

namespace vigil::grammar::lower {
namespace {

const std::vector<KeywordHome>& all_homes() {
  static const std::vector<KeywordHome> homes = [] {
    std::vector<KeywordHome> v;
    list_top_keywords(v);
    list_global_keywords(v);
    list_vrrp_keywords(v);
    list_lvs_keywords(v);
    return v;
  }();
  return homes;
}

// keepalived keywords that vigil rejects by name (keepalived.conf(5), keepalived 2.2.7..2.4).
constexpr Unsupported unsupported_list[] = {
    // top level
    {"net_namespace", "network namespaces: run vigild inside the namespace instead"},
    {"net_namespace_ipvs", "network namespaces"},
    {"namespace_with_ipsets", "ipsets"},
    {"use_pid_dir", "pid directories; use --pid-file"},
    {"linkbeat_use_polling", "link polling; vigil follows rtnetlink link events"},
    {"linkbeat_interfaces", "link polling; vigil follows rtnetlink link events"},
    {"child_wait_time", "vigil has no child processes"},
    {"interface_up_down_delays", "interface debounce"},
    {"vrrp_track_process", "process tracking"},
    {"garp_group", "GARP groups"},
    {"bfd_instance", "BFD"},
    // global_defs
    {"tmp_config_directory", ""},
    {"config_save_dir", ""},
    {"process_names", "vigil is one process"},
    {"process_name", "vigil is one process"},
    {"vrrp_process_name", "vigil is one process"},
    {"checker_process_name", "vigil is one process"},
    {"bfd_process_name", "vigil is one process"},
    {"lvs_process_name", "vigil is one process"},
    {"startup_script", ""},
    {"startup_script_timeout", ""},
    {"shutdown_script", ""},
    {"shutdown_script_timeout", ""},
    {"snmp_vs_stats_update_interval", "the SNMP MIB tables; vigil sends traps only"},
    {"snmp_rs_stats_update_interval", "the SNMP MIB tables; vigil sends traps only"},
    {"snmp_name", "SNMP"},
    {"enable_dbus", "DBus"},
    {"dbus_service_name", "DBus"},
    {"dbus_no_interface_name", "DBus"},
    {"use_symlink_paths", ""},
    {"set_supplementary_groups", ""},
    {"min_auto_priority_delay", "real-time priority escalation"},
    {"vrrp_priority", "process priorities; vigil is one process"},
    {"checker_priority", "process priorities; vigil is one process"},
    {"bfd_priority", "BFD"},
    {"vrrp_no_swap", "mlockall"},
    {"checker_no_swap", "mlockall"},
    {"bfd_no_swap", "BFD"},
    {"vrrp_rt_priority", "real-time priorities"},
    {"checker_rt_priority", "real-time priorities"},
    {"bfd_rt_priority", "BFD"},
    {"vrrp_cpu_affinity", "CPU affinity; use taskset or the supervisor"},
    {"checker_cpu_affinity", "CPU affinity; use taskset or the supervisor"},
    {"bfd_cpu_affinity", "BFD"},
    {"vrrp_rlimit_rttime", "real-time priorities"},
    {"checker_rlimit_rttime", "real-time priorities"},
    {"bfd_rlimit_rttime", "BFD"},
    {"vrrp_rlimit_rtime", "real-time priorities"},
    {"checker_rlimit_rtime", "real-time priorities"},
    {"bfd_rlimit_rtime", "BFD"},
    {"dynamic_interfaces", ""},
    {"disable_local_igmp", ""},
    {"vrrp_garp_extra_if", "GARP on extra interfaces"},
    {"vrrp_vmac_garp_intvl", "GARP on extra interfaces"},
    {"vrrp_owner_ignore_adverts", ""},
    {"vrrp_iptables", "firewall rules"},
    {"vrrp_ipsets", "firewall rules"},
    {"nftables", "firewall rules"},
    {"nftables_priority", "firewall rules"},
    {"nftables_ifindex", "firewall rules"},
    {"nftables_counters", "firewall rules"},
    {"nftables_ipvs", "firewall rules"},
    {"nftables_ipvs_priority", "firewall rules"},
    {"nftables_ipvs_start_fwmark", "firewall rules"},
    {"fifo_write_vrrp_states_on_reload", ""},
    {"vrrp_netlink_cmd_rcv_bufs", "netlink buffer tuning"},
    {"vrrp_netlink_cmd_rcv_bufs_force", "netlink buffer tuning"},
    {"vrrp_netlink_monitor_rcv_bufs", "netlink buffer tuning"},
    {"vrrp_netlink_monitor_rcv_bufs_force", "netlink buffer tuning"},
    {"lvs_netlink_cmd_rcv_bufs", "netlink buffer tuning"},
    {"lvs_netlink_cmd_rcv_bufs_force", "netlink buffer tuning"},
    {"lvs_netlink_monitor_rcv_bufs", "netlink buffer tuning"},
    {"lvs_netlink_monitor_rcv_bufs_force", "netlink buffer tuning"},
    {"process_monitor_rcv_bufs", "process tracking"},
    {"process_monitor_rcv_bufs_force", "process tracking"},
    {"vrrp_rx_bufs_policy", "socket buffer tuning"},
    {"vrrp_rx_bufs_multiplier", "socket buffer tuning"},
    {"vrrp_delay_after_boot", ""},
    {"log_unknown_vrids", ""},
    {"vmac_prefix", ""},
    {"vmac_addr_prefix", ""},
    {"umask", ""},
    {"random_seed", "${_RANDOM}"},
    {"reload_check_config", "vigil always validates before reloading"},
    {"reload_time_file", "scheduled reloads"},
    {"reload_repeat", "scheduled reloads"},
    {"reload_file", ""},
    {"include_check", "use -e/--all-config"},
    {"state_dump_file", "vigil logs its state dump as JSON on SIGUSR1"},
    {"stats_dump_file", "vigil logs its state dump as JSON on SIGUSR1"},
    {"json_dump_file", "vigil logs its state dump as JSON on SIGUSR1"},
    {"json_version", "vigil logs its state dump as JSON on SIGUSR1"},
    {"iproute_usr_dir", ""},
    {"iproute_etc_dir", ""},
    {"rs_init_notifies", ""},
    {"no_checker_emails", ""},
    // vrrp_instance and vrrp_sync_group
    {"vrf", "VRF"},
    {"use_vmac_addr", ""},
    {"use_ipvlan", "ipvlan"},
    {"track_process", "process tracking"},
    {"track_bfd", "BFD"},
    {"old_unicast_checksum", "pre-1.3.6 VRRPv3 checksums"},
    {"garp_extra_if", "GARP on extra interfaces"},
    {"vmac_garp_intvl", "GARP on extra interfaces"},
    {"owner_ignore_adverts", ""},
    {"timer_expired_backup", ""},
    {"thread_timer_expired", ""},
    {"kernel_rx_buf_size", "socket buffer tuning"},
    {"auth_hmac", "the keepalived 2.4 HMAC trailer"},
    {"global_tracking", "deprecated in keepalived; use track_* on the sync group"},
    {"sync_group_tracking_weight", ""},
    {"lvs_sync_daemon_interface", "deprecated in keepalived; use global_defs 'lvs_sync_daemon'"},
    // virtual_server, real_server, checkers
    {"hashed", ""},
    {"BFD_CHECK", "BFD"},
    {"regex_stack", "PCRE2 options"},
    {"tls_compliant", ""},
};

} // namespace

std::span<const Unsupported> unsupported_keywords() {
  return unsupported_list;
}

std::vector<std::string_view> blocks_accepting(std::string_view keyword) {
  std::vector<std::string_view> out;
  for (const auto& [kw, block] : all_homes())
    if (kw == keyword && std::find(out.begin(), out.end(), block) == out.end())
      out.push_back(block);
  return out;
}

} // namespace vigil::grammar::lower
