#pragma once
// What the VRRP subsystem shows: the SIGUSR1 / GET /status JSON and the /metrics families
// (mehdy/keepalived-exporter's names first, then vigil's own).
#include <string>

#include "core/config/config.hpp"
#include "core/metrics.hpp"
#include "daemon/vrrp_runner.hpp"

namespace vigil::daemon {

class Trackers;

/// `unmatched`: packets no instance took, by drop reason.
std::string vrrp_state_json(const Runners& runners, const Trackers& trackers,
                            const core::config::Config* config, const DropCounts& unmatched);
/// keepalived_vrrp_state and _excluded_state (one series per VIP), the per-instance
/// keepalived_*_total counters and the trackers' keepalived_script_* families.
void vrrp_exporter_metrics(core::Metrics& m, const Runners& runners, const Trackers& trackers);
/// vigil_vrrp_*: drops by reason, priorities, time since the last transition, VIPs present,
/// adverts per peer and checksum form.
void vrrp_vigil_metrics(core::Metrics& m, const Runners& runners, const DropCounts& unmatched);

} // namespace vigil::daemon
