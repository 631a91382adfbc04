// keepalived's tracking arithmetic (keepalived.conf(5): track_interface, track_script,
// track_file) and the rise/fall counter of vrrp_script.
#include <catch2/catch.hpp>

#include "vrrp/instance.hpp"
#include "vrrp/tracking.hpp"

using namespace vigil;
using namespace std::chrono_literals;

TEST_CASE("weight 0: failure means FAULT; reverse turns it around") {
  vrrp::TrackOutcome o;
  vrrp::apply_status(o, "track_interface eth1", false, 0, false);
  CHECK(o.fault);
  CHECK(o.fault_reasons.at(0) == "track_interface eth1 is down");
  vrrp::TrackOutcome up;
  vrrp::apply_status(up, "x", true, 0, false);
  CHECK_FALSE(up.fault);
  vrrp::TrackOutcome rev;
  vrrp::apply_status(rev, "x", true, 0, true);
  CHECK(rev.fault);
}

TEST_CASE("positive weights add while up, negative weights subtract while down") {
  struct Case {
    bool up;
    int w;
    bool reverse;
    int delta;
  } cases[] = {
      {true, 10, false, 10},    {false, 10, false, 0}, {true, 10, true, -10},  {false, 10, true, 0},
      {false, -20, false, -20}, {true, -20, false, 0}, {false, -20, true, 20}, {true, -20, true, 0},
  };
  for (const auto& c : cases) {
    vrrp::TrackOutcome o;
    vrrp::apply_status(o, "x", c.up, c.w, c.reverse);
    INFO("up " << c.up << " w " << c.w << " reverse " << c.reverse);
    CHECK(o.delta == c.delta);
    CHECK_FALSE(o.fault);
  }
}

TEST_CASE("track_file: value times weight, FAULT below -253, weight 0 tests non-zero") {
  vrrp::TrackOutcome a;
  vrrp::apply_value(a, "f", 5, 3, false);
  CHECK(a.delta == 15);
  vrrp::TrackOutcome b;
  vrrp::apply_value(b, "f", 5, 3, true);
  CHECK(b.delta == -15);
  vrrp::TrackOutcome c;
  vrrp::apply_value(c, "f", -100, 3, false);
  CHECK(c.fault);
  vrrp::TrackOutcome d;
  vrrp::apply_value(d, "f", 1, 0, false);
  CHECK(d.fault);
  vrrp::TrackOutcome e;
  vrrp::apply_value(e, "f", 0, 0, true);
  CHECK(e.fault);
}

TEST_CASE("the effective priority stays in 1..254 and never moves an owner") {
  CHECK(vrrp::effective_priority(100, 30) == 130);
  CHECK(vrrp::effective_priority(100, 200) == 254);
  CHECK(vrrp::effective_priority(100, -150) == 1);
  CHECK(vrrp::effective_priority(255, -100) == 255);
}

TEST_CASE("rise and fall") {
  vrrp::ScriptState s(2, 3, false);
  CHECK(s.ok());
  CHECK_FALSE(s.record(false));
  CHECK_FALSE(s.record(false));
  CHECK_FALSE(s.record(true)); // the streak restarts
  CHECK_FALSE(s.record(false));
  CHECK_FALSE(s.record(false));
  CHECK(s.record(false));
  CHECK_FALSE(s.ok());
  CHECK_FALSE(s.record(true));
  CHECK(s.record(true));
  CHECK(s.ok());
  vrrp::ScriptState init(1, 1, true);
  CHECK_FALSE(init.ok());
}

TEST_CASE("sync_to moves a member with its group") {
  vrrp::Settings s;
  s.name = "VI_S";
  s.vrid = 9;
  s.vips = {*core::IpAddress::parse("10.0.0.9")};
  vrrp::Instance i(s);
  i.set_primary_address(*core::IpAddress::parse("10.0.0.1"));
  core::TimePoint t0{std::chrono::seconds(10)};
  i.start(t0);
  auto fx = i.sync_to(vrrp::State::master, t0 + 1s);
  CHECK(i.state() == vrrp::State::master);
  CHECK(std::get<vrrp::Transition>(fx.front()).reason == vrrp::Reason::sync_group);
  i.sync_to(vrrp::State::backup, t0 + 2s);
  CHECK(i.state() == vrrp::State::backup);
  i.set_fault(vrrp::FaultKind::sync_group, true, t0 + 3s);
  CHECK(i.state() == vrrp::State::fault);
  CHECK(i.sync_to(vrrp::State::master, t0 + 4s).empty());
  CHECK(i.has_fault(vrrp::FaultKind::sync_group));
}
