#include <catch2/catch.hpp>

#include <string>
#include <vector>

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

TEST_CASE("destination adds come in the reverse order of their removal, fresh ones after") {
  ipvs::Table want;
  auto a = service("10.0.0.1", 80);
  auto b = service("10.0.0.2", 80);
  for (const char* r : {"10.1.0.1", "10.1.0.2", "10.1.0.3"})
    add_dest(a, r, 1);
  for (const char* r : {"10.2.0.1", "10.2.0.2"})
    add_dest(b, r, 1);
  want[a.service.key] = a;
  want[b.service.key] = b;
  auto ops = ipvs::plan(want, {});
  auto key = [](const ipvs::ServiceEntry& s, const char* rip) {
    return ipvs::TrashKey{s.service.key, {ip(rip), std::uint16_t(80)}};
  };
  // A flush removed them service by service (b first, in the kernel's order); 10.1.0.3 is new.
  ipvs::order_for_trash(
      ops, {key(b, "10.2.0.2"), key(b, "10.2.0.1"), key(a, "10.1.0.2"), key(a, "10.1.0.1")});
  std::vector<std::string> got;
  for (const auto& op : ops)
    got.push_back(op.kind == OpKind::add_service ? "svc " + op.service.key.address.to_string()
                                                 : op.destination->address.to_string());
  CHECK(got == std::vector<std::string>{"svc 10.0.0.1", "svc 10.0.0.2", "10.1.0.1", "10.1.0.2",
                                        "10.2.0.1", "10.2.0.2", "10.1.0.3"});
  // Nothing known removed: the plan's order stays.
  auto again = ipvs::plan(want, {});
  auto copy = again;
  ipvs::order_for_trash(again, {});
  REQUIRE(again.size() == copy.size());
  for (std::size_t i = 0; i < again.size(); ++i)
    CHECK(again[i].kind == copy[i].kind);
}

TEST_CASE("the stop removes in reverse key order, so a new plan finds each at the trash's head") {
  ipvs::Table t;
  auto a = service("10.0.0.1", 80);
  auto b = service("10.0.0.2", 80);
  auto foreign = service("10.0.0.3", 80);
  add_dest(a, "10.1.0.1", 1);
  add_dest(a, "10.1.0.2", 1);
  add_dest(b, "10.2.0.1", 1);
  add_dest(foreign, "10.3.0.1", 1);
  t[a.service.key] = a;
  t[b.service.key] = b;
  t[foreign.service.key] = foreign;
  auto ops = ipvs::removal(t, {a.service.key, b.service.key}, false);
  std::vector<std::string> got;
  for (const auto& op : ops)
    got.push_back(op.kind == OpKind::delete_service ? "svc " + op.service.key.address.to_string()
                                                    : op.destination->address.to_string());
  CHECK(got == std::vector<std::string>{"10.2.0.1", "svc 10.0.0.2", "10.1.0.2", "10.1.0.1",
                                        "svc 10.0.0.1"});
  // The trash is newest first: the last removed is the first a plan in key order adds.
  std::vector<std::string> trash;
  for (const auto& op : ops)
    if (op.kind == OpKind::delete_destination)
      trash.insert(trash.begin(), op.destination->address.to_string());
  std::vector<std::string> adds;
  for (const auto& op : ipvs::plan(t, {}))
    if (op.kind == OpKind::add_destination && op.service.key != foreign.service.key)
      adds.push_back(op.destination->address.to_string());
  CHECK(trash == adds);
  CHECK(ipvs::removal(t, {a.service.key}, true).size() == 1);
}
