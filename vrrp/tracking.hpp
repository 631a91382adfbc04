#pragma once
// What tracked objects do to a VRRP instance, with keepalived's semantics (keepalived.conf(5),
// track_interface / track_script / track_file). Pure: the driver feeds statuses in and applies
// the resulting fault and priority to the instance.
//
// A tracked object with weight W (reverse R):
//   W == 0   its failure means FAULT (with R: its success means FAULT);
//   W > 0    while it is up the priority rises by W (with R: falls by W);
//   W < 0    while it is down the priority falls by |W| (with R: rises by |W|).
// A track_file contributes value x W (x -W with R); below -253 it means FAULT; with W == 0 any
// non-zero value means FAULT (with R: zero does).
// The effective priority stays within 1..254; an owner (255) is never changed.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/vrrp.hpp"

namespace vigil::vrrp {

/// The current status of one tracked object, as the driver knows it.
struct TrackedStatus {
  bool known = false; ///< not yet observed (a script not run yet): counts as up/0
  bool up = true;     ///< interfaces and scripts
  long value = 0;     ///< track files
};

struct TrackOutcome {
  bool fault = false;
  int delta = 0;
  std::vector<std::string> fault_reasons; ///< e.g. "track_script chk_api failed"
};

/// One up/down object (interface or script) with weight `w` and `reverse`.
void apply_status(TrackOutcome& out, const std::string& what, bool up, int w, bool reverse);
/// One track_file value.
void apply_value(TrackOutcome& out, const std::string& what, long value, int w, bool reverse);

/// The effective priority from a base priority and the trackers' total delta.
std::uint8_t effective_priority(std::uint8_t base, int delta);

/// A vrrp_script's rise/fall state: it flips to failed after `fall` consecutive failures and
/// back to OK after `rise` consecutive successes.
class ScriptState {
public:
  ScriptState(std::uint32_t rise, std::uint32_t fall, bool init_fail)
      : rise_(rise), fall_(fall), ok_(!init_fail) {}
  /// Records a run; returns true when the state changed.
  bool record(bool success);
  bool ok() const { return ok_; }

private:
  std::uint32_t rise_;
  std::uint32_t fall_;
  bool ok_;
  std::uint32_t streak_ = 0; ///< consecutive results contradicting the current state
};

} // namespace vigil::vrrp
