// Reload planning for VRRP instances (vrrp/reload.hpp): which running instance each new one
// continues and how, and the in-place difference in addresses, routes and rules.
#include <catch2/catch.hpp>

#include "vrrp/reload.hpp"

using namespace vigil;
using core::config::VrrpInstance;
using Kind = vrrp::InstanceMatch::Kind;

namespace {

VrrpInstance inst(std::string name, unsigned vrid, std::string ifname = "eth0") {
  VrrpInstance c;
  c.name = std::move(name);
  c.virtual_router_id = std::uint8_t(vrid);
  c.interface = std::move(ifname);
  c.priority = 100;
  return c;
}

core::config::AddressSpec addr(const char* text) {
  core::config::AddressSpec a;
  a.address = *core::IpPrefix::parse(text);
  return a;
}

vrrp::PlacedAddress placed(const char* text, int ifindex) {
  return {addr(text), ifindex};
}

std::vector<const VrrpInstance*> ptrs(const std::vector<VrrpInstance>& v) {
  std::vector<const VrrpInstance*> out;
  for (const auto& c : v)
    out.push_back(&c);
  return out;
}

} // namespace

TEST_CASE("instances match by name, else by VRID + family + interface") {
  std::vector<VrrpInstance> running{inst("A", 1), inst("B", 2), inst("C", 3), inst("D", 4)};
  auto b2 = inst("B", 2);
  b2.priority = 150;              // in place
  auto c3 = inst("C", 3, "eth1"); // same name, other interface: restart
  auto renamed = inst("A2", 1);   // no "A2" running: continues A by its identity
  auto fresh = inst("E", 5);
  std::vector<VrrpInstance> next{renamed, b2, c3, fresh};
  auto plan = vrrp::plan_reload(ptrs(running), next);
  REQUIRE(plan.next.size() == 4);
  CHECK(plan.next[0].kind == Kind::in_place); // the name differs, nothing else
  CHECK(plan.next[0].running == 0u);
  CHECK(plan.next[1].kind == Kind::in_place);
  CHECK(plan.next[1].running == 1u);
  CHECK(plan.next[2].kind == Kind::restart);
  CHECK(plan.next[2].running == 2u);
  CHECK(plan.next[2].reason == "interface");
  CHECK(plan.next[3].kind == Kind::added);
  CHECK_FALSE(plan.next[3].running);
  CHECK(plan.removed == std::vector<std::size_t>{3});
}

TEST_CASE("an unchanged configuration is unchanged, and a running instance is continued once") {
  std::vector<VrrpInstance> running{inst("A", 1), inst("B", 1, "eth1")};
  auto plan = vrrp::plan_reload(ptrs(running), running);
  CHECK(plan.next[0].kind == Kind::unchanged);
  CHECK(plan.next[1].kind == Kind::unchanged);
  CHECK(plan.removed.empty());
  // Two new instances with A's identity: the first continues A, the second is new.
  std::vector<VrrpInstance> one{inst("A", 1)};
  std::vector<VrrpInstance> two{inst("X", 1), inst("Y", 1)};
  plan = vrrp::plan_reload(ptrs(one), two);
  CHECK(plan.next[0].running == 0u);
  CHECK(plan.next[1].kind == Kind::added);
  // A name match wins over an earlier identity match.
  std::vector<VrrpInstance> swapped{inst("X", 1), inst("A", 1)};
  plan = vrrp::plan_reload(ptrs(one), swapped);
  CHECK(plan.next[0].kind == Kind::added);
  CHECK(plan.next[1].kind == Kind::unchanged);
}

TEST_CASE("what restarts an instance and what changes in place") {
  struct Case {
    const char* what;
    void (*change)(VrrpInstance&);
    std::optional<std::string> reason;
  } cases[] = {
      {"priority", [](VrrpInstance& c) { c.priority = 200; }, std::nullopt},
      {"advert_int", [](VrrpInstance& c) { c.advert_int = std::chrono::seconds(2); }, std::nullopt},
      {"a VIP", [](VrrpInstance& c) { c.virtual_ipaddress.push_back(addr("10.0.0.9/24")); },
       std::nullopt},
      {"vrid", [](VrrpInstance& c) { c.virtual_router_id = 9; }, "virtual_router_id"},
      {"interface", [](VrrpInstance& c) { c.interface = "eth9"; }, "interface"},
      {"version", [](VrrpInstance& c) { c.version = c.version == 3 ? 2 : 3; }, "version"},
      {"family", [](VrrpInstance& c) { c.family = core::Family::inet6; }, "the address family"},
      {"ownership", [](VrrpInstance& c) { c.priority = 255; }, "address ownership (priority 255)"},
      {"AH", [](VrrpInstance& c) { c.auth_type = core::config::AuthType::ah; }, "auth_type AH"},
      {"unicast",
       [](VrrpInstance& c) {
         core::config::UnicastPeer peer;
         peer.address = *core::IpAddress::parse("10.0.0.2");
         c.unicast_peer.push_back(peer);
       },
       "unicast or multicast"},
  };
  for (const auto& k : cases) {
    INFO(k.what);
    auto a = inst("A", 1);
    auto b = a;
    k.change(b);
    CHECK(vrrp::restart_reason(a, b) == k.reason);
  }
  auto a = inst("A", 1);
  auto b = a;
  b.priority = 120;
  b.virtual_ipaddress.push_back(addr("10.0.0.9/24"));
  CHECK(vrrp::changed_keywords(a, b) == "priority, virtual_ipaddress");
  CHECK(vrrp::changed_keywords(a, a).empty());
}

TEST_CASE("addresses: what stays is untouched, changes are replaced, new ones announced") {
  auto changed = placed("10.0.0.2/24", 2);
  changed.spec.label = "eth0:vip";
  std::vector<vrrp::PlacedAddress> before{placed("10.0.0.1/24", 2), placed("10.0.0.2/24", 2),
                                          placed("10.0.0.3/24", 2), placed("10.0.0.4/24", 2)};
  std::vector<vrrp::PlacedAddress> after{placed("10.0.0.1/24", 2), changed,
                                         placed("10.0.0.4/24", 3), // moved to another interface
                                         placed("10.0.0.5/24", 2), placed("10.0.0.6/24", 0)};
  auto d = vrrp::diff_addresses(before, after);
  // 10.0.0.3 is gone; 10.0.0.4 left interface 2. Never 10.0.0.1 or 10.0.0.2.
  REQUIRE(d.remove.size() == 2);
  CHECK(d.remove[0] == placed("10.0.0.3/24", 2));
  CHECK(d.remove[1] == placed("10.0.0.4/24", 2));
  // 10.0.0.2 is replaced (its label changed) but not announced again.
  REQUIRE(d.add.size() == 3);
  CHECK(d.add[0] == changed);
  CHECK(d.add[1] == placed("10.0.0.4/24", 3));
  CHECK(d.add[2] == placed("10.0.0.5/24", 2));
  CHECK(d.announce == std::set<core::IpAddress>{*core::IpAddress::parse("10.0.0.4"),
                                                *core::IpAddress::parse("10.0.0.5")});
  REQUIRE(d.unplaced.size() == 1);
  CHECK(d.unplaced[0] == placed("10.0.0.6/24", 0));
  // Nothing changed: nothing to do.
  auto same = vrrp::diff_addresses(before, before);
  CHECK(same.remove.empty());
  CHECK(same.add.empty());
  CHECK(same.announce.empty());
  // An address on a missing interface is not removed (there is nothing to remove).
  auto gone = vrrp::diff_addresses({placed("10.0.0.7/24", 0)}, {});
  CHECK(gone.remove.empty());
}

TEST_CASE("routes and rules: only the difference") {
  auto a = inst("A", 1);
  core::config::RouteSpec r1, r2, r3;
  r1.to = *core::IpPrefix::parse("192.168.1.0/24");
  r2.to = *core::IpPrefix::parse("192.168.2.0/24");
  r3.to = *core::IpPrefix::parse("192.168.3.0/24");
  core::config::RuleSpec u1, u2;
  u1.preference = 100;
  u2.preference = 200;
  a.virtual_routes = {r1, r2};
  a.virtual_rules = {u1};
  auto b = a;
  b.virtual_routes = {r2, r3};
  b.virtual_rules = {u1, u2};
  auto d = vrrp::diff_routes(a, b);
  CHECK(d.routes_gone == std::vector<core::config::RouteSpec>{r1});
  CHECK(d.routes_new == std::vector<core::config::RouteSpec>{r3});
  CHECK(d.rules_gone.empty());
  CHECK(d.rules_new == std::vector<core::config::RuleSpec>{u2});
}
