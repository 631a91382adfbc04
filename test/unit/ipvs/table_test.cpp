#include <catch2/catch.hpp>

#include "ipvs/table.hpp"

using namespace vigil;
using ipvs::OpKind;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

ipvs::ServiceEntry service(const char* vip, std::uint16_t port) {
  ipvs::ServiceEntry e;
  e.service.key = {0, core::Family::inet, 6, ip(vip), port};
  return e;
}

void add_dest(ipvs::ServiceEntry& e, const char* rip, std::uint32_t weight) {
  ipvs::Destination d;
  d.address = ip(rip);
  d.port = 80;
  d.weight = weight;
  e.destinations[{d.address, d.port}] = d;
}

} // namespace

TEST_CASE("an empty kernel gets services first, then their destinations") {
  ipvs::Table want;
  auto s = service("10.0.0.1", 80);
  add_dest(s, "10.1.0.1", 1);
  add_dest(s, "10.1.0.2", 2);
  want[s.service.key] = s;
  auto ops = ipvs::plan(want, {});
  REQUIRE(ops.size() == 3);
  CHECK(ops[0].kind == OpKind::add_service);
  CHECK(ops[1].kind == OpKind::add_destination);
  CHECK(ops[2].kind == OpKind::add_destination);
  CHECK(ops[2].destination->weight == 2);
}

TEST_CASE("equal tables need nothing") {
  ipvs::Table t;
  auto s = service("10.0.0.1", 80);
  add_dest(s, "10.1.0.1", 1);
  t[s.service.key] = s;
  CHECK(ipvs::plan(t, t).empty());
}

TEST_CASE("weights, removed servers, scheduler changes and dropped services") {
  ipvs::Table have;
  auto a = service("10.0.0.1", 80);
  add_dest(a, "10.1.0.1", 1);
  add_dest(a, "10.1.0.2", 1);
  have[a.service.key] = a;
  auto gone = service("10.0.0.9", 443);
  add_dest(gone, "10.1.0.9", 1);
  have[gone.service.key] = gone;

  ipvs::Table want;
  auto b = a;
  b.service.scheduler = "rr";
  b.destinations.erase({ip("10.1.0.2"), 80});
  b.destinations[{ip("10.1.0.1"), 80}].weight = 0; // inhibit_on_failure
  add_dest(b, "10.1.0.3", 5);
  want[b.service.key] = b;

  auto ops = ipvs::plan(want, have);
  REQUIRE(ops.size() == 5);
  CHECK(ops[0].kind == OpKind::edit_service);
  CHECK(ops[0].service.scheduler == "rr");
  CHECK(ops[1].kind == OpKind::delete_destination);
  CHECK(ops[1].destination->address == ip("10.1.0.2"));
  CHECK(ops[2].kind == OpKind::edit_destination);
  CHECK(ops[2].destination->weight == 0);
  CHECK(ops[3].kind == OpKind::add_destination);
  CHECK(ops[4].kind == OpKind::delete_service);
  CHECK(ops[4].service.key.port == 443);
}
