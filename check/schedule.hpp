#pragma once
// The schedule and verdict of one health checker, keepalived's semantics, as a pure state
// machine: the driver runs a probe when `next_check()` is due, reports its result, and acts on
// the returned verdict change. Randomness (warmup) is passed in, so tests are deterministic.
//
//   - The first check runs after `warmup` (a random delay up to delay_loop unless configured).
//   - A server starts up, or down with `alpha`, until its first check says otherwise.
//   - While up, a failure is retried `retry` times, `delay_before_retry` apart, before the
//     server goes down; any success in between keeps it up.
//   - While down, checks run every `delay_loop`; one success brings the server up. An HTTP_GET
//     or SSL_GET with several urls and no `fast_recovery` recovers one url per check instead:
//     it comes up after each url has passed once, in order, delay_loop apart (a failure starts
//     over), as keepalived does; while up, every check covers every url.
//   - ha_suspend: suspend() stops the checks (the verdict holds), resume() runs one at once.
#include <cstdint>
#include <optional>

#include "core/config/lvs.hpp"
#include "core/time.hpp"

namespace vigil::check {

using core::Duration;
using core::TimePoint;

enum class Health : std::uint8_t { up, down };

/// A verdict change to act on (IPVS weight or removal, notify_up/notify_down, SMTP alert).
struct Verdict {
  Health health;
  std::uint32_t failed_attempts = 0; ///< failures that led to a `down` verdict
};

class Schedule {
public:
  /// `warmup_fraction` in [0, 1) picks the first check inside the warmup window.
  Schedule(const core::config::Checker& checker, TimePoint now, double warmup_fraction);

  Health health() const { return health_; }
  /// When the next check is due (TimePoint::max() while suspended).
  TimePoint next_check() const { return suspended_ ? TimePoint::max() : next_; }

  /// ha_suspend: while the virtual server's address is not on this host no check runs and the
  /// verdict stays as it was. A check in flight when suspended is still reported.
  void suspend() { suspended_ = true; }
  /// The address is back: the next check runs now, with a fresh retry count.
  void resume(TimePoint now) {
    if (!suspended_)
      return;
    suspended_ = false;
    retries_used_ = 0;
    next_ = now;
  }
  bool suspended() const { return suspended_; }
  /// Retries already used since the last success.
  std::uint32_t retries_used() const { return retries_used_; }
  /// The one url the next check covers while recovering url by url, else nullopt (all urls).
  std::optional<std::size_t> recovery_step() const {
    if (health_ == Health::down && steps_ > 1)
      return recovered_;
    return std::nullopt;
  }

  /// Reports the result of the check that was due; returns a verdict when health changed.
  std::optional<Verdict> report(bool success, TimePoint now);

private:
  Duration delay_loop_;
  Duration delay_before_retry_;
  std::uint32_t retry_;
  Health health_;
  TimePoint next_;
  std::uint32_t retries_used_ = 0;
  std::size_t steps_ = 1;     ///< checks needed to come up (urls without fast_recovery)
  std::size_t recovered_ = 0; ///< consecutive recovery steps passed
  bool suspended_ = false;
};

} // namespace vigil::check
