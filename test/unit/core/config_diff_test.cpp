// core/config/diff: which virtual servers a reload leaves unchanged (computed off the loop).
#include <catch2/catch.hpp>

#include "core/config/config.hpp"
#include "core/config/diff.hpp"

using namespace vigil;
using core::config::VirtualServer;

namespace {
VirtualServer vs(const char* addr, std::uint16_t port, std::uint32_t rs_weight = 1) {
  VirtualServer v;
  v.address = *core::IpAddress::parse(addr);
  v.port = port;
  core::config::RealServer rs;
  rs.address = *core::IpAddress::parse("192.168.0.10");
  rs.port = port;
  rs.weight = rs_weight;
  v.real_servers.push_back(rs);
  return v;
}
} // namespace

TEST_CASE("unchanged virtual servers are found by identity, wherever they moved") {
  core::config::Config running, next;
  running.virtual_servers = {vs("10.0.0.1", 80), vs("10.0.0.2", 80), vs("10.0.0.3", 443)};
  // 10.0.0.3 moved to the front, 10.0.0.1 lost, 10.0.0.2 changed one weight, 10.0.0.4 is new
  next.virtual_servers = {vs("10.0.0.3", 443), vs("10.0.0.2", 80, 5), vs("10.0.0.4", 80)};
  auto d = core::config::diff(running, next);
  REQUIRE(d.unchanged_vs.size() == 3);
  CHECK(d.unchanged_vs[0] == 2u);
  CHECK_FALSE(d.unchanged_vs[1]);
  CHECK_FALSE(d.unchanged_vs[2]);
  auto same = core::config::diff(running, running);
  CHECK(same.unchanged_vs ==
        std::vector<std::optional<std::size_t>>{std::size_t(0), std::size_t(1), std::size_t(2)});
  // Another port is another virtual server.
  next.virtual_servers = {vs("10.0.0.1", 8080)};
  CHECK_FALSE(core::config::diff(running, next).unchanged_vs[0]);
}

TEST_CASE("a boxed command reads like an optional, copies deeply and compares by value") {
  using core::config::Command;
  core::config::RealServer a;
  CHECK_FALSE(a.notify_up);
  Command c;
  c.text = "/bin/up";
  c.argv = {"/bin/up"};
  a.notify_up = c;
  REQUIRE(a.notify_up);
  CHECK(a.notify_up->text == "/bin/up");
  core::config::RealServer b = a; // a deep copy: changing it leaves `a` alone
  b.notify_up->argv.push_back("x");
  CHECK(a.notify_up->argv.size() == 1);
  CHECK_FALSE(a == b);
  b.notify_up->argv.pop_back();
  CHECK(a == b);
  b.notify_down = c; // present on one side only
  CHECK_FALSE(a == b);
  b.notify_down.reset();
  CHECK(a == b);
  core::config::RealServer moved = std::move(b);
  CHECK(moved == a);
  // In the configuration's JSON: the command, or null.
  core::config::Config cfg;
  VirtualServer v = vs("10.0.0.1", 80);
  v.real_servers[0] = a;
  cfg.virtual_servers.push_back(v);
  const std::string json = core::config::to_json(cfg);
  CHECK(json.find("\"notify_up\": {") != std::string::npos);
  CHECK(json.find("\"notify_down\": null") != std::string::npos);
}
