#pragma once
// SNMP traps, keepalived's way: vigild is an AgentX subagent of the local snmpd (net-snmp's
// library, its descriptors and alarms driven by the io_context) and sends keepalived 2.2.7's
// traps with the same OIDs and varbinds: KEEPALIVED-MIB vrrpInstanceStateChange and
// vrrpSyncGroupStateChange (enable_snmp_vrrp), realServerStateChange and
// virtualServerQuorumStateChange (enable_snmp_checker), RFC 2787 vrrpTrapNewMaster and
// vrrpTrapAuthFailure (enable_snmp_rfcv2), RFC 6527 vrrpv3NewMaster and vrrpv3ProtoError
// (enable_snmp_rfcv3); each family also needs enable_traps. vigild serves no MIB table.
// net-snmp keeps global state: one SnmpAgent per process.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/config/config.hpp"
#include "core/ip.hpp"
#include "core/json.hpp"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace vigil::daemon {

/// KEEPALIVED-MIB's VrrpState textual convention.
enum class SnmpVrrpState : int {
  init = 0,
  backup = 1,
  master = 2,
  fault = 3,
  unknown = 4,
  shutdown = 5,
  deleted = 6
};

class SnmpAgent {
public:
  /// `state_dir`: where net-snmp may keep files of its own (a `snmp` folder in it), instead of
  /// /var/lib/snmp.
  SnmpAgent(boost::asio::io_context& ctx, spdlog::logger& log, std::string state_dir);
  ~SnmpAgent();
  SnmpAgent(const SnmpAgent&) = delete;
  SnmpAgent& operator=(const SnmpAgent&) = delete;

  /// Follows the configuration's SNMP settings. The first time a trap family is on, the
  /// subagent starts and connects to `snmp_socket`; while the master is away net-snmp tries
  /// again every 5 s. The socket is read once: a reload that changes it is logged and takes
  /// effect at the next start.
  void configure(const core::config::GlobalDefs& g);
  /// Closes the AgentX session (after the last traps were handed to it).
  void stop();

  /// vrrpInstanceStateChange (every transition, also the first BACKUP and the stop).
  void instance_state(const core::config::VrrpInstance& vi, SnmpVrrpState state);
  /// vrrpSyncGroupStateChange.
  void sync_group_state(const std::string& group, SnmpVrrpState state);
  /// An instance became master: RFC 2787 vrrpTrapNewMaster (VRRPv2 over IPv4) with its
  /// address as vrrpOperMasterIpAddr, and RFC 6527 vrrpv3NewMaster (any version) with the
  /// address and vrrpv3StatisticsNewMasterReason (priority 1, preempted 2, masterNoResponse
  /// 3). Only for instances with at least one VIP, as keepalived.
  void new_master(const core::config::VrrpInstance& vi, int ifindex, const core::IpAddress& address,
                  int reason);
  /// RFC 2787 vrrpTrapAuthFailure: invalidAuthType 1, authTypeMismatch 2, authFailure 3 (the
  /// varbinds indexed by the instance's ifindex and VRID, as keepalived sends them).
  void auth_failure(const core::config::VrrpInstance& vi, int ifindex,
                    const core::IpAddress& source, int type);
  /// RFC 6527 vrrpv3ProtoError: ipTtlError 1, versionError 2, checksumError 3, vrIdError 4.
  void proto_error(const core::config::VrrpInstance& vi, int ifindex, int reason);
  /// realServerStateChange: `rs` of `vs` is now up (alive) or down; `up` of `total` alive.
  void real_server(const core::config::VirtualServer& vs, const core::config::RealServer& rs,
                   bool alive, std::size_t up, std::size_t total);
  /// Whether checker traps go out now (the callers' counts are then worth computing).
  bool checker_traps() const;
  /// virtualServerQuorumStateChange.
  void quorum(const core::config::VirtualServer& vs, bool met, std::size_t up, std::size_t total);

  void state_json(core::Json& j) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace vigil::daemon
