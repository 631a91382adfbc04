#include "check/schedule.hpp"

#include <algorithm>

namespace vigil::check {

Schedule::Schedule(const core::config::Checker& c, TimePoint now, double warmup_fraction)
    : delay_loop_(c.delay_loop), delay_before_retry_(c.delay_before_retry), retry_(c.retry),
      health_(c.alpha ? Health::down : Health::up) {
  // keepalived: warmup defaults to delay_loop; 0 disables the random start.
  Duration window = c.warmup ? Duration(*c.warmup) : delay_loop_;
  bool http =
      c.kind == core::config::CheckerKind::http_get || c.kind == core::config::CheckerKind::ssl_get;
  if (http && !c.fast_recovery && c.urls.size() > 1)
    steps_ = c.urls.size();
  double f = std::clamp(warmup_fraction, 0.0, 0.999999);
  next_ = now + std::chrono::duration_cast<Duration>(window * f);
}

std::optional<Verdict> Schedule::report(bool success, TimePoint now) {
  if (success) {
    retries_used_ = 0;
    next_ = now + delay_loop_;
    if (health_ == Health::down && ++recovered_ >= steps_) {
      recovered_ = 0;
      health_ = Health::up;
      return Verdict{Health::up, 0};
    }
    return std::nullopt;
  }
  if (health_ == Health::down) {
    recovered_ = 0;
    next_ = now + delay_loop_;
    return std::nullopt;
  }
  if (retries_used_ < retry_) {
    ++retries_used_;
    next_ = now + delay_before_retry_;
    return std::nullopt;
  }
  std::uint32_t attempts = retries_used_ + 1;
  retries_used_ = 0;
  health_ = Health::down;
  next_ = now + delay_loop_;
  return Verdict{Health::down, attempts};
}

} // namespace vigil::check
