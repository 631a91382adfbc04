#include <catch2/catch.hpp>

#include "check/schedule.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using check::Health;
using check::Schedule;

namespace {
const core::TimePoint t0{std::chrono::seconds(500)};
core::config::Checker tcp(std::uint32_t retry = 1) {
  core::config::Checker c;
  c.delay_loop = 10s;
  c.delay_before_retry = 2s;
  c.retry = retry;
  return c;
}
} // namespace

TEST_CASE("the first check waits a random part of the warmup window") {
  Schedule s(tcp(), t0, 0.5);
  CHECK(s.next_check() == t0 + 5s);
  auto c = tcp();
  c.warmup = 0s;
  CHECK(Schedule(c, t0, 0.9).next_check() == t0);
  c.warmup = 4s;
  CHECK(Schedule(c, t0, 0.25).next_check() == t0 + 1s);
}

TEST_CASE("a failure is retried before the server goes down") {
  Schedule s(tcp(2), t0, 0);
  CHECK(s.health() == Health::up);
  CHECK(!s.report(false, t0));
  CHECK(s.next_check() == t0 + 2s);
  CHECK(!s.report(false, t0 + 2s));
  auto v = s.report(false, t0 + 4s);
  REQUIRE(v);
  CHECK(v->health == Health::down);
  CHECK(v->failed_attempts == 3);
  CHECK(s.next_check() == t0 + 14s);
  // While down, checks run every delay_loop; one success brings it back.
  CHECK(!s.report(false, t0 + 14s));
  CHECK(s.next_check() == t0 + 24s);
  v = s.report(true, t0 + 24s);
  REQUIRE(v);
  CHECK(v->health == Health::up);
}

TEST_CASE("a success between retries keeps the server up and resets the retries") {
  Schedule s(tcp(1), t0, 0);
  s.report(false, t0);
  CHECK(s.retries_used() == 1);
  CHECK(!s.report(true, t0 + 2s));
  CHECK(s.retries_used() == 0);
  CHECK(s.health() == Health::up);
  CHECK(s.next_check() == t0 + 12s);
}

TEST_CASE("alpha: down until the first success; retry 0 fails at once") {
  auto c = tcp(0);
  c.alpha = true;
  Schedule s(c, t0, 0);
  CHECK(s.health() == Health::down);
  REQUIRE(s.report(true, t0));
  auto v = s.report(false, t0 + 10s);
  REQUIRE(v);
  CHECK(v->failed_attempts == 1);
}

TEST_CASE("HTTP with several urls recovers one url per delay_loop unless fast_recovery") {
  auto c = tcp(0);
  c.kind = core::config::CheckerKind::http_get;
  c.alpha = true;
  c.urls.resize(3);
  Schedule s(c, t0, 0);
  REQUIRE(s.recovery_step());
  CHECK(*s.recovery_step() == 0);
  CHECK(!s.report(true, t0));
  CHECK(*s.recovery_step() == 1);
  CHECK(s.next_check() == t0 + 10s);
  CHECK(!s.report(false, t0 + 10s)); // a failure starts over
  CHECK(*s.recovery_step() == 0);
  CHECK(!s.report(true, t0 + 20s));
  CHECK(!s.report(true, t0 + 30s));
  auto v = s.report(true, t0 + 40s);
  REQUIRE(v);
  CHECK(v->health == Health::up);
  CHECK(!s.recovery_step()); // up: every check covers every url
  c.fast_recovery = true;
  Schedule f(c, t0, 0);
  CHECK(!f.recovery_step());
  CHECK(f.report(true, t0));
}

TEST_CASE("ha_suspend: no check while suspended, the verdict holds, resume checks at once") {
  Schedule s(tcp(1), t0, 0);
  CHECK(!s.report(false, t0)); // one retry used
  s.suspend();
  CHECK(s.suspended());
  CHECK(s.next_check() == core::TimePoint::max());
  CHECK(s.health() == Health::up);
  s.resume(t0 + 30s);
  CHECK(!s.suspended());
  CHECK(s.next_check() == t0 + 30s);
  CHECK(s.retries_used() == 0);
  // The retry count starts over: one failure is retried again before going down.
  CHECK(!s.report(false, t0 + 30s));
  auto v = s.report(false, t0 + 32s);
  REQUIRE(v);
  CHECK(v->health == Health::down);
  // A down server stays down through a suspension and comes up on its first success after.
  s.suspend();
  s.resume(t0 + 100s);
  CHECK(s.health() == Health::down);
  auto up = s.report(true, t0 + 100s);
  REQUIRE(up);
  CHECK(up->health == Health::up);
  // resume() without a suspension changes nothing.
  auto due = s.next_check();
  s.resume(t0 + 200s);
  CHECK(s.next_check() == due);
}
