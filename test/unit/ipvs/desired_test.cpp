#include <catch2/catch.hpp>

#include <cstring>

#include "ipvs/desired.hpp"

using namespace vigil;
using core::config::LvsMethod;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

core::config::VirtualServer address_vs(const char* vip, std::uint16_t port) {
  core::config::VirtualServer vs;
  vs.kind = core::config::VsKind::address;
  vs.address = ip(vip);
  vs.family = vs.address->family();
  vs.port = port;
  vs.lvs_sched = "rr";
  return vs;
}

ipvs::Wanted wanted(const char* rip, std::uint16_t port, std::uint32_t weight,
                    LvsMethod m = LvsMethod::nat) {
  ipvs::Wanted w;
  w.address = ip(rip);
  w.port = port;
  w.weight = weight;
  w.forwarding.method = m;
  return w;
}

} // namespace

TEST_CASE("an address service: scheduler, default netmask, NAT keeps the real server's port") {
  auto vs = address_vs("10.0.0.1", 80);
  ipvs::Wanted ws[] = {wanted("10.0.1.2", 8080, 3), wanted("10.0.1.3", 8080, 0)};
  ipvs::Table t;
  ipvs::add_services(t, vs, nullptr, ws);
  REQUIRE(t.size() == 1);
  const auto& e = t.begin()->second;
  CHECK(e.service.key.protocol == 6);
  CHECK(e.service.key.address == ip("10.0.0.1"));
  CHECK(e.service.key.port == 80);
  CHECK(e.service.scheduler == "rr");
  CHECK(e.service.flags == 0);
  CHECK(e.service.netmask == 0xffffffffu);
  REQUIRE(e.destinations.size() == 2);
  const auto& d = e.destinations.at({ip("10.0.1.3"), 8080});
  CHECK(d.weight == 0); // weight 0 is programmed as 0
  CHECK(d.forward == 0);
}

TEST_CASE("DR and TUN take the service's port; under a fwmark service port 0") {
  auto vs = address_vs("10.0.0.1", 443);
  auto tun = wanted("10.0.1.4", 8443, 1, LvsMethod::tun);
  tun.forwarding.tunnel_type = core::config::TunnelType::gue;
  tun.forwarding.tunnel_port = 6080;
  tun.forwarding.tunnel_csum = core::config::TunnelCsum::remcsum;
  ipvs::Wanted ws[] = {wanted("10.0.1.2", 8443, 1, LvsMethod::dr), tun};
  ipvs::Table t;
  ipvs::add_services(t, vs, nullptr, ws);
  const auto& e = t.begin()->second;
  CHECK(e.destinations.count({ip("10.0.1.2"), 443}) == 1);
  const auto& g = e.destinations.at({ip("10.0.1.4"), 443});
  CHECK(g.forward == 2);
  CHECK(g.tunnel_type == 1);
  CHECK(g.tunnel_port == 6080);
  CHECK(g.tunnel_flags == 2);

  core::config::VirtualServer fw;
  fw.kind = core::config::VsKind::fwmark;
  fw.fwmark = 9;
  fw.family = core::Family::inet6;
  ipvs::Wanted w6[] = {wanted("2001:db8::2", 80, 1, LvsMethod::dr)};
  ipvs::Table t6;
  ipvs::add_services(t6, fw, nullptr, w6);
  const auto& f = t6.begin()->second;
  CHECK(f.service.key.fwmark == 9);
  CHECK(f.service.key.family == core::Family::inet6);
  CHECK(f.service.netmask == 128);
  CHECK(f.destinations.count({ip("2001:db8::2"), 0}) == 1);
}

TEST_CASE("persistence, granularity, ops and scheduler flags") {
  auto vs = address_vs("10.0.0.1", 53);
  vs.protocol = core::config::Protocol::udp;
  vs.persistence_timeout = 360;
  vs.persistence_granularity = ip("255.255.255.0");
  vs.ops = true;
  vs.flag_2 = true; // sh-port
  vs.persistence_engine = "sip";
  ipvs::Table t;
  ipvs::add_services(t, vs, nullptr, {});
  const auto& s = t.begin()->second.service;
  CHECK(s.pe_name == "sip");
  CHECK(s.key.protocol == 17);
  CHECK(s.flags == (0x1 | 0x4 | 0x10));
  CHECK(s.timeout == 360);
  std::uint8_t mask[4];
  std::memcpy(mask, &s.netmask, 4);
  CHECK(mask[0] == 255);
  CHECK(mask[2] == 255);
  CHECK(mask[3] == 0); // network order in memory, as the kernel takes it

  auto v6 = address_vs("2001:db8::1", 80);
  v6.persistence_timeout = 60;
  v6.persistence_granularity = ip("ffff:ffff:ffff:ff80::");
  ipvs::Table t6;
  ipvs::add_services(t6, v6, nullptr, {});
  CHECK(t6.begin()->second.service.netmask == 57);
}

TEST_CASE("a virtual_server_group: one service per address of each range, and fwmarks") {
  core::config::VirtualServerGroup g;
  core::config::VsgEntry range;
  range.first = ip("10.0.0.10");
  range.last = ip("10.0.0.12");
  range.port = 80;
  core::config::VsgEntry single;
  single.first = ip("10.0.0.20");
  single.last = ip("10.0.0.20");
  core::config::VsgEntry mark;
  mark.fwmark = 5;
  g.entries = {range, single, mark};
  core::config::VirtualServer vs;
  vs.kind = core::config::VsKind::group;
  vs.group = "G";
  vs.port = 8080;
  ipvs::Wanted ws[] = {wanted("10.0.1.2", 80, 1)};
  ipvs::Table t;
  ipvs::add_services(t, vs, &g, ws);
  CHECK(t.size() == 5);
  CHECK(t.count({0, core::Family::inet, 6, ip("10.0.0.11"), 80}) == 1);
  CHECK(t.count({0, core::Family::inet, 6, ip("10.0.0.20"), 8080}) == 1);
  CHECK(t.count({5, core::Family::inet, 0, core::IpAddress(), 0}) == 1);
  for (const auto& [k, e] : t)
    CHECK(e.destinations.size() == 1);
}

TEST_CASE("an IPv6 group range varies the last 16-bit group, across its byte boundary") {
  core::config::VirtualServerGroup g;
  core::config::VsgEntry range;
  range.first = ip("2001:db8::fe");
  range.last = ip("2001:db8::102");
  range.port = 443;
  g.entries = {range};
  core::config::VirtualServer vs;
  vs.kind = core::config::VsKind::group;
  vs.group = "G";
  ipvs::Wanted ws[] = {wanted("2001:db8:1::2", 443, 1)};
  ipvs::Table t;
  ipvs::add_services(t, vs, &g, ws);
  CHECK(t.size() == 5); // ::fe ::ff ::100 ::101 ::102
  CHECK(t.count({0, core::Family::inet6, 6, ip("2001:db8::ff"), 443}) == 1);
  CHECK(t.count({0, core::Family::inet6, 6, ip("2001:db8::100"), 443}) == 1);
  CHECK(t.count({0, core::Family::inet6, 6, ip("2001:db8::102"), 443}) == 1);
}
