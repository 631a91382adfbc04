#include "vrrp/tracking.hpp"

#include <algorithm>

namespace vigil::vrrp {

void apply_status(TrackOutcome& out, const std::string& what, bool up, int w, bool reverse) {
  if (w == 0) {
    bool bad = reverse ? up : !up;
    if (bad) {
      out.fault = true;
      out.fault_reasons.push_back(what + (up ? " is up (reverse)" : " is down"));
    }
    return;
  }
  if (w > 0 && up)
    out.delta += reverse ? -w : w;
  if (w < 0 && !up)
    out.delta += reverse ? -w : w;
}

void apply_value(TrackOutcome& out, const std::string& what, long value, int w, bool reverse) {
  if (w == 0) {
    bool bad = reverse ? value == 0 : value != 0;
    if (bad) {
      out.fault = true;
      out.fault_reasons.push_back(what + " holds " + std::to_string(value));
    }
    return;
  }
  long contribution = value * w * (reverse ? -1 : 1);
  if (contribution < -253) {
    out.fault = true;
    out.fault_reasons.push_back(what + " gives " + std::to_string(contribution));
    return;
  }
  out.delta += int(std::clamp<long>(contribution, -254, 254));
}

std::uint8_t effective_priority(std::uint8_t base, int delta) {
  if (base == 255)
    return 255;
  return std::uint8_t(std::clamp(int(base) + delta, 1, 254));
}

bool ScriptState::record(bool success) {
  if (success == ok_) {
    streak_ = 0;
    return false;
  }
  ++streak_;
  if (streak_ >= (ok_ ? fall_ : rise_)) {
    ok_ = success;
    streak_ = 0;
    return true;
  }
  return false;
}

} // namespace vigil::vrrp
