#pragma once
// What the VRRP subsystem shows: the SIGUSR1 / GET /status JSON and the /metrics families
// (mehdy/keepalived-exporter's names first, then vigil's own).
#include <functional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/json.hpp"
#include "core/metrics.hpp"
#include "daemon/vrrp_runner.hpp"

namespace vigil::daemon {

class Trackers;

using JsonPart = std::function<void(core::Json&)>;
/// Appends the VRRP state (the SIGUSR1 / GET /status JSON value) as parts written in sequence
/// into one writer, one part per turn of the event loop: the instances in slices of 100, then
/// the trackers, sync groups and `unmatched` (packets no instance took, by drop reason). The
/// parts refer to the arguments, which must outlive them, and read them when they run.
void vrrp_state_parts(std::vector<JsonPart>& parts, const Runners& runners,
                      const Trackers& trackers, const core::config::ConfigPtr& config,
                      const DropCounts& unmatched);
using MetricPart = std::function<void(core::Metrics&)>;
/// Appends the VRRP metric families as parts rendered one per turn of the event loop:
/// mehdy/keepalived-exporter's (keepalived_vrrp_state and _excluded_state, one series per VIP;
/// the per-instance keepalived_*_total counters; the trackers' keepalived_script_*), then
/// vigil_vrrp_* (drops by reason, priorities, time since the last transition, VIPs present,
/// adverts per peer and checksum form). Each family in slices of 250 instances. The parts
/// refer to `runners`, `trackers` and `unmatched`, which must outlive them.
void vrrp_metric_parts(std::vector<MetricPart>& parts, const Runners& runners,
                       const Trackers& trackers, const DropCounts& unmatched);

} // namespace vigil::daemon
