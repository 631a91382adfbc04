// Real-server and virtual-server health as tables: which events and which kernel table follow
// from the checkers' verdicts (keepalived's semantics, see check/service.hpp).
#include <catch2/catch.hpp>

#include "check/service.hpp"

using namespace vigil;
using check::QuorumChange;
using check::RsChange;
using check::Service;
using core::config::RealServer;
using core::config::VirtualServer;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

RealServer rs(const char* a, std::uint32_t weight, int checkers = 1, bool alpha = false) {
  RealServer r;
  r.address = ip(a);
  r.port = 80;
  r.weight = weight;
  for (int i = 0; i < checkers; ++i) {
    core::config::Checker k;
    k.alpha = alpha;
    r.checkers.push_back(k);
  }
  return r;
}

VirtualServer vs3() {
  VirtualServer v;
  v.address = ip("10.0.0.100");
  v.port = 80;
  v.real_servers = {rs("10.0.0.1", 1), rs("10.0.0.2", 2), rs("10.0.0.3", 3)};
  return v;
}

/// "10.0.0.1:w" for each destination, in order; a sorry server is marked "sorry".
std::string table(const Service& s) {
  std::string out;
  for (const auto& d : s.desired())
    out += (out.empty() ? "" : " ") + d.address.to_string() + ":" + std::to_string(d.weight) +
           (d.sorry ? "(sorry)" : "");
  return out;
}

std::string events(const check::ServiceEvents& ev) {
  std::string out;
  for (const auto& e : ev) {
    if (auto r = std::get_if<RsChange>(&e))
      out += " rs" + std::to_string(r->rs) + (r->up ? "+" : "-");
    else if (auto q = std::get_if<QuorumChange>(&e))
      out += std::string(" quorum") + (q->up ? "+" : "-") + std::to_string(q->live_weight);
  }
  return out;
}

} // namespace

TEST_CASE("a real server is up only while every checker says up") {
  auto v = vs3();
  v.real_servers[0] = rs("10.0.0.1", 1, 2);
  Service s(v);
  CHECK(events(s.start()).empty());
  CHECK(table(s) == "10.0.0.1:1 10.0.0.2:2 10.0.0.3:3");
  CHECK(events(s.set_checker(0, 0, false)) == " rs0-");
  CHECK(events(s.set_checker(0, 1, false)).empty());
  CHECK(events(s.set_checker(0, 0, true)).empty()); // the other checker still fails
  CHECK(events(s.set_checker(0, 1, true)) == " rs0+");
  CHECK(table(s) == "10.0.0.1:1 10.0.0.2:2 10.0.0.3:3");
}

TEST_CASE("a real server without checkers is always up; alpha starts down") {
  VirtualServer v = vs3();
  v.real_servers = {rs("10.0.0.1", 1, 0), rs("10.0.0.2", 1, 1, true)};
  Service s(v);
  CHECK(s.rs_up(0));
  CHECK(!s.rs_up(1));
  CHECK(table(s) == "10.0.0.1:1");
  CHECK(events(s.set_checker(1, 0, true)) == " rs1+");
}

TEST_CASE("inhibit_on_failure keeps a dead real server at weight 0") {
  auto v = vs3();
  v.real_servers[1].inhibit_on_failure = true;
  Service s(v);
  s.set_checker(1, 0, false);
  s.set_checker(2, 0, false);
  CHECK(table(s) == "10.0.0.1:1 10.0.0.2:0");
}

TEST_CASE("dynamic weights (misc_dynamic, FILE_CHECK) add to the configured weight") {
  auto v = vs3();
  Service s(v);
  // MISC_CHECK exit 12 on a weight-2 server: delta 12 - 2 - 2 = 8 -> weight 10.
  s.set_checker(1, 0, true, 8);
  CHECK(s.rs_weight(1) == 10);
  CHECK(s.live_weight() == 14);
  s.set_checker(2, 0, true, -10); // clamped at 0
  CHECK(s.rs_weight(2) == 0);
  CHECK(table(s) == "10.0.0.1:1 10.0.0.2:10 10.0.0.3:0");
}

TEST_CASE("quorum with hysteresis, both ways") {
  // weights 1 2 3 (live 6), quorum 4, hysteresis 1: lost below 3, gained at 5.
  auto v = vs3();
  v.quorum = 4;
  v.hysteresis = 1;
  Service s(v);
  CHECK(events(s.start()).empty());
  CHECK(events(s.set_checker(2, 0, false)) == " rs2-"); // live 3: not below 3
  CHECK(s.quorum_up());
  CHECK(events(s.set_checker(0, 0, false)) == " rs0- quorum-2"); // live 2
  CHECK(events(s.set_checker(0, 0, true)) == " rs0+");           // live 3 < 5
  CHECK(!s.quorum_up());
  CHECK(events(s.set_checker(2, 0, true)) == " rs2+ quorum+6");
  // Without hysteresis: lost below 4, gained at 4.
  v.hysteresis = 0;
  Service t(v);
  CHECK(events(t.set_checker(0, 0, false)).find("quorum") == std::string::npos); // 5
  CHECK(events(t.set_checker(1, 0, false)) == " rs1- quorum-3");
  CHECK(events(t.set_checker(0, 0, true)) == " rs0+ quorum+4");
}

TEST_CASE("a service below quorum from the start reports the loss at start") {
  auto v = vs3();
  v.quorum = 7;
  Service s(v);
  CHECK(events(s.start()) == " quorum-6");
  // Alpha: everything starts down.
  VirtualServer a = vs3();
  for (auto& r : a.real_servers)
    r.checkers[0].alpha = true;
  Service t(a);
  CHECK(table(t).empty());
  CHECK(events(t.start()) == " quorum-0");
  CHECK(events(t.set_checker(0, 0, true)) == " rs0+ quorum+1");
}

TEST_CASE("sorry server replaces the live real servers while quorum is lost") {
  auto v = vs3();
  v.quorum = 5;
  v.sorry_server = ip("10.0.0.9");
  v.sorry_server_port = 8080;
  v.real_servers[2].inhibit_on_failure = true;
  Service s(v);
  CHECK(table(s) == "10.0.0.1:1 10.0.0.2:2 10.0.0.3:3");
  s.set_checker(2, 0, false); // live 3 < 5
  CHECK(!s.quorum_up());
  CHECK(table(s) == "10.0.0.3:0 10.0.0.9:1(sorry)");
  s.set_checker(2, 0, true);
  CHECK(table(s) == "10.0.0.1:1 10.0.0.2:2 10.0.0.3:3");
  // With inhibit_on_failure a live real server replaced by the sorry server stays at weight 0
  // (what keepalived 2.2.7 programs, test/ipvs_corpus/sorry_inhibit.conf).
  v.real_servers[0].inhibit_on_failure = true;
  Service si(v);
  si.set_checker(2, 0, false);
  CHECK(table(si) == "10.0.0.1:0 10.0.0.3:0 10.0.0.9:1(sorry)");
  si.set_checker(2, 0, true);
  CHECK(table(si) == "10.0.0.1:1 10.0.0.2:2 10.0.0.3:3");
  v.real_servers[0].inhibit_on_failure = false;
  s.set_checker(2, 0, false);
  s.set_checker(2, 0, true);
  CHECK(table(s) == "10.0.0.1:1 10.0.0.2:2 10.0.0.3:3");
  // sorry_server_inhibit: always in the table, weight 0 while quorum holds.
  v.sorry_server_inhibit = true;
  Service t(v);
  CHECK(table(t) == "10.0.0.1:1 10.0.0.2:2 10.0.0.3:3 10.0.0.9:0(sorry)");
  t.set_checker(1, 0, false);
  CHECK(table(t) == "10.0.0.3:0 10.0.0.9:1(sorry)"); // 10.0.0.3 alive, inhibited
  // The sorry server's method: its own, else the virtual server's.
  v.forwarding.method = core::config::LvsMethod::dr;
  Service u(v);
  CHECK(u.desired().back().forwarding.method == core::config::LvsMethod::dr);
  v.sorry_server_lvs_method = core::config::Forwarding{};
  Service w(v);
  CHECK(w.desired().back().forwarding.method == core::config::LvsMethod::nat);
}

TEST_CASE("losing quorum without a sorry server leaves the table alone") {
  auto v = vs3();
  v.quorum = 6;
  Service s(v);
  s.set_checker(0, 0, false);
  CHECK(!s.quorum_up());
  CHECK(table(s) == "10.0.0.2:2 10.0.0.3:3");
}

TEST_CASE("a graceful stop reports nothing unless omega") {
  auto v = vs3();
  Service s(v);
  s.set_checker(1, 0, false);
  CHECK(events(s.shutdown()).empty());
  v.omega = true;
  Service o(v);
  o.set_checker(1, 0, false);
  CHECK(events(o.shutdown()) == " rs0- rs2- quorum-0");
}
