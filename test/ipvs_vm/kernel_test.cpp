// Runs inside ../shared/ipvs-vm (a kernel with IPVS): ipvs::io::Kernel against the real
// table, cross-checked with ipvsadm. See test/ipvs_vm/run.sh.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "ipvs/io/kernel.hpp"

using namespace vigil;
namespace asio = boost::asio;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

/// Runs `body` as a coroutine on a fresh io_context until it finishes.
template <class F> void run(F body) {
  asio::io_context ctx;
  bool done = false;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        co_await body(ctx);
        done = true;
      },
      asio::detached);
  ctx.run();
  REQUIRE(done);
}

std::string sh(const char* cmd) {
  std::string out;
  FILE* p = ::popen(cmd, "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  ::pclose(p);
  return out;
}

ipvs::ServiceEntry tcp(const char* vip, std::uint16_t port, const char* sched = "wlc") {
  ipvs::ServiceEntry e;
  e.service.key = {0, core::Family::inet, 6, ip(vip), port};
  e.service.scheduler = sched;
  return e;
}

void dest(ipvs::ServiceEntry& e, const char* rip, std::uint16_t port, std::uint32_t weight,
          std::uint32_t forward = 0) {
  ipvs::Destination d;
  d.address = ip(rip);
  d.port = port;
  d.weight = weight;
  d.forward = forward;
  e.destinations[{d.address, d.port}] = d;
}

} // namespace

TEST_CASE("the plan applied through generic netlink is the table the kernel lists") {
  REQUIRE(std::system("ipvsadm -C") == 0);
  run([](asio::io_context& ctx) -> asio::awaitable<void> {
    ipvs::io::Kernel k(ctx);
    auto err = co_await k.open();
    REQUIRE(!err);
    CHECK(k.available());

    ipvs::Table want;
    auto a = tcp("10.0.0.1", 80, "rr");
    dest(a, "10.0.1.2", 80, 3);
    dest(a, "10.0.1.3", 8080, 0, 3); // DR, weight 0
    auto b = tcp("2001:db8::1", 443, "sh");
    b.service.key.family = core::Family::inet6;
    b.service.flags = 0x0001 | 0x0010; // persistent, sh-port
    b.service.timeout = 360;
    b.service.netmask = 128;
    dest(b, "2001:db8::2", 443, 1);
    ipvs::ServiceEntry f;
    f.service.key.fwmark = 42;
    f.service.scheduler = "wlc";
    dest(f, "10.0.2.2", 0, 5, 2); // TUN
    want[a.service.key] = a;
    want[b.service.key] = b;
    want[f.service.key] = f;

    auto first = co_await k.dump();
    REQUIRE(std::holds_alternative<ipvs::Table>(first));
    CHECK(std::get<ipvs::Table>(first).empty());
    auto failures = co_await k.apply(ipvs::plan(want, {}));
    for (const auto& fl : failures)
      UNSCOPED_INFO(ipvs::io::describe(fl.op) << ": " << fl.error.message);
    CHECK(failures.empty());
    auto got = co_await k.dump();
    REQUIRE(std::holds_alternative<ipvs::Table>(got));
    const auto& table = std::get<ipvs::Table>(got);
    CHECK(ipvs::plan(want, table).empty());
    CHECK(table.size() == 3);

    // A weight change and a removed destination are two operations, and then nothing is left.
    auto next = want;
    next[a.service.key].destinations.begin()->second.weight = 7;
    next[a.service.key].destinations.erase({ip("10.0.1.3"), 8080});
    auto ops = ipvs::plan(next, table);
    CHECK(ops.size() == 2);
    auto edits = co_await k.apply(ops);
    for (const auto& fl : edits)
      UNSCOPED_INFO(ipvs::io::describe(fl.op) << ": " << fl.error.message);
    CHECK(edits.empty());
    auto again = co_await k.dump();
    CHECK(ipvs::plan(next, std::get<ipvs::Table>(again)).empty());
  });
  // ipvsadm sees the same table.
  std::string listed = sh("ipvsadm -Sn");
  INFO(listed);
  CHECK(listed.find("-A -t 10.0.0.1:80 -s rr") != std::string::npos);
  CHECK(listed.find("-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 7") != std::string::npos);
  CHECK(listed.find("10.0.1.3") == std::string::npos);
  CHECK(listed.find("-A -t [2001:db8::1]:443 -s sh") != std::string::npos);
  CHECK(listed.find("sh-port") != std::string::npos);
  CHECK(listed.find("-p 360") != std::string::npos);
  CHECK(listed.find("-A -f 42 -s wlc") != std::string::npos);
  CHECK(listed.find("-a -f 42 -r 10.0.2.2") != std::string::npos);
  CHECK(listed.find("-i -w 5") != std::string::npos);
}

TEST_CASE("a refused operation comes back with the kernel's reason and the operation") {
  REQUIRE(std::system("ipvsadm -C") == 0);
  run([](asio::io_context& ctx) -> asio::awaitable<void> {
    ipvs::io::Kernel k(ctx);
    auto opened = co_await k.open();
    REQUIRE(!opened);
    auto a = tcp("10.0.0.9", 80);
    dest(a, "10.0.1.2", 80, 1);
    // A destination for a service that does not exist, then an unknown scheduler.
    std::vector<ipvs::Op> ops;
    ops.push_back({ipvs::OpKind::add_destination, a.service, a.destinations.begin()->second});
    auto bad = tcp("10.0.0.10", 80, "nosuchsched");
    ops.push_back({ipvs::OpKind::add_service, bad.service, std::nullopt});
    ops.push_back({ipvs::OpKind::add_service, a.service, std::nullopt});
    auto failures = co_await k.apply(ops);
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].error.code == ESRCH);
    CHECK(ipvs::io::describe(failures[0].op) ==
          "add destination [10.0.1.2]:80 to TCP [10.0.0.9]:80");
    CHECK(failures[1].error.code == ENOENT);
    CHECK(!failures[1].error.message.empty());
    auto t = co_await k.dump();
    CHECK(std::get<ipvs::Table>(t).size() == 1); // the last one went in
  });
  REQUIRE(std::system("ipvsadm -C") == 0);
}

TEST_CASE("operations across several batches: each refusal is the right operation, the rest "
          "went in") {
  REQUIRE(std::system("ipvsadm -C") == 0);
  run([](asio::io_context& ctx) -> asio::awaitable<void> {
    ipvs::io::Kernel k(ctx);
    auto opened = co_await k.open();
    REQUIRE(!opened);
    constexpr std::size_t n = ipvs::io::Kernel::batch_size * 2 + 50;
    auto a = tcp("10.0.0.20", 80, "wrr");
    auto ghost = tcp("10.0.0.21", 80); // never added: its destinations are refused
    std::vector<ipvs::Op> ops;
    ops.push_back({ipvs::OpKind::add_service, a.service, std::nullopt});
    // The refused ones: the last of the first batch, one inside the second, the very last.
    const std::vector<std::size_t> bad = {ipvs::io::Kernel::batch_size - 1,
                                          ipvs::io::Kernel::batch_size + 17, n - 1};
    for (std::size_t i = 1; i < n; ++i) {
      ipvs::Destination d;
      d.address = core::IpAddress::v4(0x0a010000u + std::uint32_t(i));
      d.port = 80;
      d.weight = 1;
      bool refused = std::find(bad.begin(), bad.end(), i) != bad.end();
      ops.push_back({ipvs::OpKind::add_destination, refused ? ghost.service : a.service, d});
    }
    auto failures = co_await k.apply(ops);
    REQUIRE(failures.size() == bad.size());
    for (std::size_t j = 0; j < bad.size(); ++j) {
      CHECK(failures[j].error.code == ESRCH);
      CHECK(ipvs::io::describe(failures[j].op) == ipvs::io::describe(ops[bad[j]]));
    }
    auto t = co_await k.dump();
    const auto& table = std::get<ipvs::Table>(t);
    REQUIRE(table.size() == 1);
    CHECK(table.begin()->second.destinations.size() == n - 1 - bad.size());
  });
  REQUIRE(std::system("ipvsadm -C") == 0);
}
