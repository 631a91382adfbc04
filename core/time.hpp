#pragma once
// One clock for the whole daemon. Pure code never reads it: the driver passes `now` in, which
// lets the simulator (test/sim) run on virtual time.
#include <chrono>

namespace vigil::core {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
/// The fine unit for every protocol timer (RFC 5798 skew at priority 254 and 10 ms is 78.125 us).
using Duration = std::chrono::nanoseconds;
/// Configuration timers keep keepalived's resolution of one microsecond.
using Micros = std::chrono::microseconds;

} // namespace vigil::core
