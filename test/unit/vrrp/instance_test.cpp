// The RFC 9568 6.4 state machine, one case per transition, on a hand-driven clock.
#include <catch2/catch.hpp>

#include "vrrp/instance.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using vrrp::Effects;
using vrrp::Instance;
using vrrp::Reason;
using vrrp::State;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

const core::TimePoint t0{std::chrono::seconds(1000)};

vrrp::Settings v2(std::uint8_t prio = 100) {
  vrrp::Settings s;
  s.name = "VI_T";
  s.version = 2;
  s.vrid = 7;
  s.priority = prio;
  s.advert_int = 1s;
  s.vips = {ip("10.0.0.100")};
  return s;
}

vrrp::Settings v3(std::uint8_t prio = 100, core::Duration interval = 100ms) {
  auto s = v2(prio);
  s.version = 3;
  s.advert_int = interval;
  return s;
}

vrrp::Received advert(const vrrp::Settings& s, std::uint8_t prio, const char* from = "10.0.0.2") {
  vrrp::Received r;
  r.advert.version = s.version;
  r.advert.vrid = s.vrid;
  r.advert.priority = prio;
  r.advert.interval =
      s.version == 2 ? std::uint16_t(s.advert_int / 1s) : std::uint16_t(s.advert_int / 10ms);
  r.advert.auth = s.auth;
  r.advert.auth_data = s.auth_data;
  r.advert.addresses = s.vips;
  r.src = ip(from);
  return r;
}

template <class T> std::size_t count(const Effects& fx) {
  std::size_t n = 0;
  for (const auto& e : fx)
    n += std::holds_alternative<T>(e) ? 1 : 0;
  return n;
}

template <class T> const T* first(const Effects& fx) {
  for (const auto& e : fx)
    if (auto p = std::get_if<T>(&e))
      return p;
  return nullptr;
}

Instance started(vrrp::Settings s, const char* primary = "10.0.0.1") {
  Instance i(std::move(s));
  i.set_primary_address(ip(primary));
  i.start(t0);
  return i;
}

} // namespace

TEST_CASE("timers are exact in nanoseconds (RFC 3768 / 5798 6.1)") {
  Instance a(v2(100));
  CHECK(a.skew_time() == 609375us);
  CHECK(a.master_down_interval() == 3609375us);
  Instance b(v3(100, 100ms));
  CHECK(b.skew_time() == 60937500ns);
  CHECK(b.master_down_interval() == 360937500ns);
  Instance c(v3(254, 10ms));
  CHECK(c.skew_time() == 78125ns);
  auto s = v2(100);
  s.down_timer_adverts = 5;
  CHECK(Instance(s).master_down_interval() == 5609375us);
}

TEST_CASE("Initialize -> Backup, then Master when Master_Down_Interval expires") {
  Instance i(v2());
  i.set_primary_address(ip("10.0.0.1"));
  auto fx = i.start(t0);
  CHECK(i.state() == State::backup);
  REQUIRE(first<vrrp::Transition>(fx));
  CHECK(first<vrrp::Transition>(fx)->reason == Reason::startup);
  CHECK(count<vrrp::SendAdvert>(fx) == 0);
  REQUIRE(i.next_deadline());
  CHECK(*i.next_deadline() == t0 + 3609375us);
  // Early wake-ups change nothing.
  CHECK(i.tick(t0 + 3609374us).empty());
  CHECK(i.state() == State::backup);
  fx = i.tick(t0 + 3609375us);
  CHECK(i.state() == State::master);
  CHECK(first<vrrp::Transition>(fx)->reason == Reason::master_down_timer);
  // Order matters (RFC 9568 6.4.2, 8.1.2): advert, the addresses, then their GARP.
  REQUIRE(fx.size() == 4);
  CHECK(std::holds_alternative<vrrp::SendAdvert>(fx[1]));
  CHECK(std::holds_alternative<vrrp::AddVips>(fx[2]));
  CHECK(std::get<vrrp::SendGarp>(fx[3]).rounds == 5);
}

TEST_CASE("`state MASTER` below 255 still waits (keepalived 2.2.7 behaviour)") {
  auto s = v2(150);
  s.initial_master = true;
  Instance i = started(s);
  CHECK(i.state() == State::backup);
}

TEST_CASE("the address owner (255) becomes master at once") {
  Instance i(v2(255));
  i.set_primary_address(ip("10.0.0.1"));
  auto fx = i.start(t0);
  CHECK(i.state() == State::master);
  CHECK(first<vrrp::Transition>(fx)->reason == Reason::address_owner);
  CHECK(first<vrrp::SendAdvert>(fx)->priority == 255);
}

TEST_CASE("Backup: higher priority adverts reset the down timer") {
  Instance i = started(v2(100));
  auto t = t0 + 2s;
  CHECK(i.receive(advert(i.settings(), 200), t).empty());
  CHECK(*i.next_deadline() == t + 3609375us);
  CHECK(i.master_address() == ip("10.0.0.2"));
  // Equal priority also resets it in Backup (RFC 9568 6.4.2).
  i.receive(advert(i.settings(), 100), t + 1s);
  CHECK(*i.next_deadline() == t + 1s + 3609375us);
}

TEST_CASE("Backup: the down timer restarts from the advert's arrival, at most two intervals back") {
  Instance i = started(v3(100, 100ms)); // Master_Down_Interval 360.9375 ms
  auto t = t0 + 2s;
  auto r = advert(i.settings(), 200);
  r.age = 130ms; // the loop got to it 130 ms after the kernel did
  i.receive(r, t);
  CHECK(*i.next_deadline() == t - 130ms + 360937500ns);
  // Waited longer (a stalled loop): corrected by down_timer_adverts - 1 intervals only.
  r.age = 5s;
  i.receive(r, t + 1s);
  CHECK(*i.next_deadline() == t + 1s - 200ms + 360937500ns);
  // No stamp, or a clock step backwards: no correction.
  r.age = -2s;
  i.receive(r, t + 2s);
  CHECK(*i.next_deadline() == t + 2s + 360937500ns);
}

TEST_CASE("Backup: with down_timer_adverts 1 the correction is one interval at most") {
  auto s = v3(100, 100ms);
  s.down_timer_adverts = 1; // Master_Down_Interval 100 ms + 60.9375 ms
  Instance i = started(s);
  auto t = t0 + 2s;
  auto r = advert(i.settings(), 200);
  r.age = 5s;
  i.receive(r, t);
  CHECK(*i.next_deadline() == t - 100ms + 160937500ns);
  CHECK(*i.next_deadline() > t);
}

TEST_CASE("Backup: an old advert never moves the down timer into the past (10 ms adverts)") {
  Instance i = started(v3(100, 10ms)); // Master_Down_Interval 36.09375 ms
  auto t = t0 + 2s;
  auto r = advert(i.settings(), 200);
  r.age = 100ms; // vrrp::io's largest reported age, ten intervals
  CHECK(i.receive(r, t).empty());
  REQUIRE(i.next_deadline());
  CHECK(*i.next_deadline() > t);
  CHECK(i.tick(t).empty()); // the master is alive: no takeover
  CHECK(i.state() == State::backup);
  // A resignation that waited longer than the skew takes over now, not "in the past".
  auto zero = advert(i.settings(), 0);
  zero.age = 100ms;
  i.receive(zero, t + 1ms);
  CHECK(*i.next_deadline() == t + 1ms);
  i.tick(t + 1ms);
  CHECK(i.state() == State::master);
}

TEST_CASE("Backup: a lower priority advert is ignored when preempting") {
  Instance i = started(v2(100));
  i.receive(advert(i.settings(), 50), t0 + 1s);
  CHECK(*i.next_deadline() == t0 + 3609375us);
  i.tick(t0 + 3609375us);
  CHECK(i.state() == State::master);
}

TEST_CASE("Backup with nopreempt: a lower priority master is kept") {
  auto s = v2(100);
  s.preempt = false;
  Instance i = started(s);
  i.receive(advert(i.settings(), 50), t0 + 3s);
  CHECK(*i.next_deadline() == t0 + 3s + 3609375us);
  i.tick(t0 + 3609375us);
  CHECK(i.state() == State::backup);
}

TEST_CASE("a start stagger lengthens only the first Master_Down_Interval") {
  Instance i(v3(100));
  i.set_primary_address(ip("10.0.0.1"));
  i.start(t0, 0ms, 30ms);
  CHECK(i.state() == State::backup);
  CHECK(*i.next_deadline() == t0 + 360937500ns + 30ms);
  CHECK(i.tick(t0 + 360937500ns).empty()); // not yet
  auto fx = i.tick(t0 + 360937500ns + 30ms);
  CHECK(i.state() == State::master);
  CHECK(count<vrrp::SendAdvert>(fx) == 1);
  // Later waits are the RFC's: a higher master, then silence.
  i.receive(advert(i.settings(), 200), t0 + 1s);
  CHECK(i.state() == State::backup);
  CHECK(*i.next_deadline() == t0 + 1s + 360937500ns);
}

TEST_CASE("a start stagger does not delay the address owner") {
  Instance i(v3(255));
  i.set_primary_address(ip("10.0.0.1"));
  auto fx = i.start(t0, 0ms, 30ms);
  CHECK(i.state() == State::master);
  CHECK(count<vrrp::SendAdvert>(fx) == 1);
}

TEST_CASE("Backup: preempt_delay delays startup and taking over from a lower master") {
  auto s = v2(100);
  s.preempt_delay = 2s;
  Instance i = started(s);
  CHECK(*i.next_deadline() == t0 + 5609375us);
  i.receive(advert(i.settings(), 200), t0 + 1s); // a higher master: normal timer
  CHECK(*i.next_deadline() == t0 + 1s + 3609375us);
  i.receive(advert(i.settings(), 50), t0 + 2s); // its priority dropped below ours
  CHECK(*i.next_deadline() == t0 + 2s + 5609375us);
  i.receive(advert(i.settings(), 50), t0 + 3s); // further lower adverts change nothing
  CHECK(*i.next_deadline() == t0 + 2s + 5609375us);
}

TEST_CASE("Backup: priority 0 means take over after Skew_Time") {
  Instance i = started(v2(100));
  i.receive(advert(i.settings(), 200), t0 + 1s);
  i.receive(advert(i.settings(), 0), t0 + 1500ms);
  CHECK(*i.next_deadline() == t0 + 1500ms + 609375us);
  auto fx = i.tick(t0 + 1500ms + 609375us);
  CHECK(i.state() == State::master);
  CHECK(first<vrrp::Transition>(fx)->reason == Reason::priority_zero);
}

TEST_CASE("Backup v3 learns the master's interval (RFC 9568 6.4.2)") {
  Instance i = started(v3(100, 100ms));
  auto r = advert(i.settings(), 200);
  r.advert.interval = 20; // 200 ms
  i.receive(r, t0 + 1s);
  CHECK(i.master_adver_interval() == 200ms);
  CHECK(*i.next_deadline() == t0 + 1s + 600ms + 121875us);
}

TEST_CASE("Master sends an advert every interval") {
  Instance i(v2(255));
  i.set_primary_address(ip("10.0.0.1"));
  i.start(t0);
  for (int k = 1; k <= 3; ++k) {
    CHECK(*i.next_deadline() == t0 + std::chrono::seconds(k));
    auto fx = i.tick(t0 + std::chrono::seconds(k));
    CHECK(count<vrrp::SendAdvert>(fx) == 1);
  }
  CHECK(i.counters().adverts_tx == 4);
}

TEST_CASE("Master yields to a higher priority, or an equal priority from a higher address") {
  Instance i = started(v2(100), "10.0.0.5");
  i.tick(t0 + 4s);
  REQUIRE(i.state() == State::master);
  auto fx = i.receive(advert(i.settings(), 100, "10.0.0.9"), t0 + 5s);
  CHECK(i.state() == State::backup);
  CHECK(count<vrrp::DelVips>(fx) == 1);
  CHECK(first<vrrp::Transition>(fx)->reason == Reason::preempted);
  CHECK(*i.next_deadline() == t0 + 5s + 3609375us);

  Instance j = started(v2(100), "10.0.0.5");
  j.tick(t0 + 4s);
  fx = j.receive(advert(j.settings(), 100, "10.0.0.3"), t0 + 5s);
  CHECK(j.state() == State::master);
  CHECK(count<vrrp::SendAdvert>(fx) == 1); // equal priority, lower address: assert ourselves
}

TEST_CASE("Master re-advertises at once on a lower priority advert (RFC 9568 6.4.3)") {
  Instance i = started(v2(150));
  i.tick(t0 + 4s);
  auto fx = i.receive(advert(i.settings(), 100), t0 + 4500ms);
  CHECK(count<vrrp::SendAdvert>(fx) == 1);
  CHECK(count<vrrp::SendGarp>(fx) == 1);
  CHECK(*i.next_deadline() == t0 + 4500ms + 1s);

  auto s = v2(150);
  s.lower_prio_no_advert = true;
  Instance j = started(s);
  j.tick(t0 + 4s);
  CHECK(j.receive(advert(j.settings(), 100), t0 + 4500ms).empty());
}

TEST_CASE("Master answers a priority 0 advert with its own advert") {
  Instance i = started(v2(150));
  i.tick(t0 + 4s);
  auto fx = i.receive(advert(i.settings(), 0), t0 + 4200ms);
  CHECK(count<vrrp::SendAdvert>(fx) == 1);
  CHECK(i.state() == State::master);
}

TEST_CASE("higher_prio_send_advert sends one advert before yielding") {
  auto s = v2(100);
  s.higher_prio_send_advert = true;
  Instance i = started(s);
  i.tick(t0 + 4s);
  auto fx = i.receive(advert(i.settings(), 200), t0 + 5s);
  CHECK(std::holds_alternative<vrrp::SendAdvert>(fx.front()));
  CHECK(i.state() == State::backup);
}

TEST_CASE("Shutdown: a master resigns with priority 0 and removes its addresses") {
  Instance i = started(v2(255));
  auto fx = i.shutdown(t0 + 1s);
  REQUIRE(first<vrrp::SendAdvert>(fx));
  CHECK(first<vrrp::SendAdvert>(fx)->priority == 0);
  CHECK(count<vrrp::DelVips>(fx) == 1);
  CHECK(i.state() == State::init);
  CHECK(!i.next_deadline());
  Instance b = started(v2(100));
  fx = b.shutdown(t0 + 1s);
  CHECK(count<vrrp::SendAdvert>(fx) == 0);
}

TEST_CASE("Fault: link down silences a master; link up returns to Backup") {
  Instance i = started(v2(150));
  i.tick(t0 + 4s);
  auto fx = i.set_fault(vrrp::FaultKind::link_down, true, t0 + 5s);
  CHECK(i.state() == State::fault);
  CHECK(count<vrrp::SendAdvert>(fx) == 0);
  CHECK(count<vrrp::DelVips>(fx) == 1);
  CHECK(!i.next_deadline());
  CHECK(i.receive(advert(i.settings(), 200), t0 + 6s).empty());
  fx = i.set_fault(vrrp::FaultKind::link_down, false, t0 + 7s);
  CHECK(i.state() == State::backup);
  CHECK(first<vrrp::Transition>(fx)->reason == Reason::fault_cleared);

  Instance j = started(v2(150));
  j.tick(t0 + 4s);
  fx = j.set_fault(vrrp::FaultKind::no_source_address, true, t0 + 5s);
  REQUIRE(first<vrrp::SendAdvert>(fx));
  CHECK(first<vrrp::SendAdvert>(fx)->priority == 0);
}

TEST_CASE("a fault present at start puts the instance in FAULT") {
  Instance i(v2(255));
  i.set_fault(vrrp::FaultKind::link_down, true, t0);
  i.start(t0);
  CHECK(i.state() == State::fault);
}

TEST_CASE("vrrp_startup_delay keeps the instance in INIT") {
  Instance i(v2(255));
  i.set_primary_address(ip("10.0.0.1"));
  CHECK(i.start(t0, 2s).empty());
  CHECK(i.state() == State::init);
  CHECK(*i.next_deadline() == t0 + 2s);
  i.tick(t0 + 2s);
  CHECK(i.state() == State::master);
}

TEST_CASE("GARP: a second burst after garp_master_delay, and refreshes") {
  auto s = v2(255);
  s.garp_master_delay = 5s;
  s.garp_master_repeat = 3;
  s.garp_master_refresh = 60s;
  s.garp_master_refresh_repeat = 2;
  Instance i = started(s);
  auto fx = i.tick(t0 + 5s);
  REQUIRE(first<vrrp::SendGarp>(fx));
  CHECK(first<vrrp::SendGarp>(fx)->rounds == 3);
  fx = i.tick(t0 + 60s);
  REQUIRE(first<vrrp::SendGarp>(fx));
  CHECK(first<vrrp::SendGarp>(fx)->rounds == 2);
}

TEST_CASE("the receive ladder counts each drop") {
  Instance i = started(v2(100));
  auto s = i.settings();
  auto r = advert(s, 200);
  r.ttl = 64;
  i.receive(r, t0);
  r = advert(s, 200);
  r.advert.version = 3;
  i.receive(r, t0);
  r = advert(s, 200);
  r.advert.auth = vrrp::Auth::simple;
  i.receive(r, t0);
  r = advert(s, 200);
  r.advert.interval = 2;
  i.receive(r, t0);
  r = advert(s, 200);
  r.advert.addresses = {ip("10.0.0.99")};
  i.receive(r, t0);
  r = advert(s, 200);
  r.to_multicast = false;
  i.receive(r, t0);
  const auto& d = i.counters().drops;
  CHECK(d[std::size_t(vrrp::Drop::bad_ttl)] == 1);
  CHECK(d[std::size_t(vrrp::Drop::version_mismatch)] == 1);
  CHECK(d[std::size_t(vrrp::Drop::auth_mismatch)] == 1);
  CHECK(d[std::size_t(vrrp::Drop::interval_mismatch)] == 1);
  CHECK(d[std::size_t(vrrp::Drop::address_mismatch)] == 1);
  CHECK(d[std::size_t(vrrp::Drop::unicast_mismatch)] == 1);
  // None of them touched the timer.
  CHECK(*i.next_deadline() == t0 + 3609375us);
}

TEST_CASE("unicast: check_unicast_src and per-peer TTL bounds") {
  auto s = v3(100);
  s.unicast = true;
  s.check_unicast_src = true;
  s.peers = {{ip("10.0.0.2"), std::uint8_t(250), {}}};
  Instance i = started(s);
  auto r = advert(i.settings(), 200, "10.0.0.3");
  r.to_multicast = false;
  i.receive(r, t0);
  CHECK(i.counters().drops[std::size_t(vrrp::Drop::not_a_peer)] == 1);
  r = advert(i.settings(), 200, "10.0.0.2");
  r.to_multicast = false;
  r.ttl = 64;
  i.receive(r, t0);
  CHECK(i.counters().drops[std::size_t(vrrp::Drop::bad_ttl)] == 1);
  r.ttl = 255;
  i.receive(r, t0 + 1s);
  CHECK(i.master_address() == ip("10.0.0.2"));
}

TEST_CASE("skip_check_adv_addr skips the address check for the current master only") {
  auto s = v2(100);
  s.skip_check_adv_addr = true;
  Instance i = started(s);
  i.receive(advert(i.settings(), 200), t0);
  auto r = advert(i.settings(), 200);
  r.advert.addresses = {ip("10.0.0.99")};
  i.receive(r, t0 + 1s);
  CHECK(i.counters().drops[std::size_t(vrrp::Drop::address_mismatch)] == 0);
  auto other = advert(i.settings(), 200, "10.0.0.9");
  other.advert.addresses = {ip("10.0.0.99")};
  i.receive(other, t0 + 1s);
  CHECK(i.counters().drops[std::size_t(vrrp::Drop::address_mismatch)] == 1);
}

TEST_CASE("per-peer checksum forms are remembered") {
  Instance i = started(v3(100));
  auto r = advert(i.settings(), 200);
  r.form = vrrp::ChecksumForm::message_only;
  i.receive(r, t0);
  i.receive(r, t0 + 100ms);
  r.form = vrrp::ChecksumForm::pseudo_header;
  i.receive(r, t0 + 200ms);
  const auto& p = i.peers().at(ip("10.0.0.2"));
  CHECK(p.checksum_message_only == 2);
  CHECK(p.checksum_pseudo_header == 1);
}

TEST_CASE("priority changes: a master re-advertises, the owner never changes") {
  Instance i = started(v2(150));
  i.tick(t0 + 4s);
  auto fx = i.set_priority(90, t0 + 5s);
  REQUIRE(first<vrrp::SendAdvert>(fx));
  CHECK(first<vrrp::SendAdvert>(fx)->priority == 90);
  Instance o = started(v2(255));
  CHECK(o.set_priority(100, t0).empty());
  CHECK(o.priority() == 255);
}

TEST_CASE("v3 errata drops: zero interval, zero address count, wrong family") {
  Instance i = started(v3(100));
  auto r = advert(i.settings(), 200);
  r.advert.interval = 0;
  i.receive(r, t0);
  r = advert(i.settings(), 200);
  r.advert.addresses.clear();
  i.receive(r, t0);
  r = advert(i.settings(), 200, "fe80::2");
  i.receive(r, t0);
  const auto& d = i.counters().drops;
  CHECK(d[std::size_t(vrrp::Drop::zero_interval)] == 1);
  CHECK(d[std::size_t(vrrp::Drop::zero_count)] == 1);
  CHECK(d[std::size_t(vrrp::Drop::family_mismatch)] == 1);
  CHECK(i.counters().adverts_rx == 3);
  CHECK(!i.master_address());
}

// --- reload in place ----------------------------------------------------------------------

namespace {
Instance master_at(vrrp::Settings s, core::TimePoint& now) {
  Instance i = started(std::move(s));
  now = t0 + i.master_down_interval();
  i.tick(now);
  REQUIRE(i.state() == State::master);
  return i;
}
} // namespace

TEST_CASE("reconfigure: a master whose addresses change stays master and advertises at once") {
  core::TimePoint now;
  auto s = v3(150);
  Instance i = master_at(s, now);
  auto sent = i.counters().adverts_tx;
  auto later = now + 30ms;
  auto next = s;
  next.vips.push_back(ip("10.0.0.101"));
  auto fx = i.reconfigure(next, later);
  CHECK(i.state() == State::master);
  CHECK(count<vrrp::SendAdvert>(fx) == 1);
  CHECK(count<vrrp::Transition>(fx) == 0);
  CHECK(count<vrrp::DelVips>(fx) == 0);
  CHECK(i.counters().adverts_tx == sent + 1);
  CHECK(i.next_deadline() == later + 100ms);
  CHECK(i.settings().vips.size() == 2);
}

TEST_CASE("reconfigure: a shorter advert_int brings the master's next advert forward only") {
  core::TimePoint now;
  auto s = v3(150, 1s);
  Instance i = master_at(s, now);
  auto next = s;
  next.advert_int = 200ms;
  next.vips = s.vips;
  // The interval is advertised, so the master advertises at once with the new one.
  auto fx = i.reconfigure(next, now + 100ms);
  CHECK(count<vrrp::SendAdvert>(fx) == 1);
  CHECK(i.next_deadline() == now + 300ms);
  // A change that is not advertised (preempt) leaves the cadence alone.
  auto again = next;
  again.preempt = false;
  fx = i.reconfigure(again, now + 150ms);
  CHECK(fx.empty());
  CHECK(i.next_deadline() == now + 300ms);
}

TEST_CASE("reconfigure: a backup keeps its master-down timer and stays backup") {
  auto s = v3(100);
  Instance i = started(s);
  auto a = advert(s, 150);
  i.receive(a, t0 + 50ms);
  auto deadline = i.next_deadline();
  REQUIRE(deadline == t0 + 50ms + i.master_down_interval());
  auto next = s;
  next.priority = 120;
  next.vips.push_back(ip("10.0.0.101"));
  auto fx = i.reconfigure(next, t0 + 60ms);
  CHECK(fx.empty());
  CHECK(i.state() == State::backup);
  CHECK(i.next_deadline() == deadline);
  // The effective priority is the driver's call: a backup does not advertise it.
  fx = i.set_priority(120, t0 + 60ms);
  CHECK(fx.empty());
  CHECK(i.priority() == 120);
}

TEST_CASE("reconfigure: the GARP refresh follows the new setting") {
  core::TimePoint now;
  auto s = v3(150);
  Instance i = master_at(s, now);
  auto next = s;
  next.garp_master_refresh = 10s;
  i.reconfigure(next, now);
  now += 10s;
  auto fx = i.tick(now);
  CHECK(count<vrrp::SendGarp>(fx) >= 1);
  next.garp_master_refresh = 0s;
  i.reconfigure(next, now);
  now += 20s;
  fx = i.tick(now);
  // Adverts only (the tick caught up), no refresh burst.
  CHECK(count<vrrp::SendGarp>(fx) == 0);
}

TEST_CASE("v3: an address list that differs is counted but accepted (RFC 9568 7.1)") {
  auto s = v3(100);
  Instance i = started(s);
  auto r = advert(s, 200);
  r.advert.addresses = {ip("10.0.0.100"), ip("10.0.0.101")};
  i.receive(r, t0 + 50ms);
  CHECK(i.counters().drops[std::size_t(vrrp::Drop::address_mismatch)] == 1);
  // The master was heard: the backup's down timer restarted from this advert.
  CHECK(i.next_deadline() == t0 + 50ms + i.master_down_interval());
  CHECK(i.master_address() == ip("10.0.0.2"));
}

TEST_CASE("adopt: master at once (advert, VIPs, GARP), or FAULT when a fault is set") {
  Instance i(v3(150));
  i.set_primary_address(ip("10.0.0.1"));
  auto fx = i.adopt(t0);
  CHECK(i.state() == State::master);
  REQUIRE(fx.size() >= 4);
  CHECK(std::holds_alternative<vrrp::Transition>(fx[0]));
  CHECK(std::get<vrrp::Transition>(fx[0]).reason == Reason::adopted);
  CHECK(std::holds_alternative<vrrp::SendAdvert>(fx[1]));
  CHECK(std::holds_alternative<vrrp::AddVips>(fx[2]));
  CHECK(std::holds_alternative<vrrp::SendGarp>(fx[3]));
  CHECK(i.next_deadline() == t0 + 100ms);
  Instance f(v3(150));
  f.set_fault(vrrp::FaultKind::link_down, true, t0);
  f.adopt(t0);
  CHECK(f.state() == State::fault);
}
