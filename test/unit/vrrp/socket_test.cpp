// VrrpSocket against the real kernel on loopback (needs root for raw sockets): the receive
// time the kernel stamps on a packet reaches the handler as Packet::age.
#include <catch2/catch.hpp>

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include "vrrp/io/socket.hpp"
#include "vrrp/packet.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Sends `payload` as an IP protocol-112 packet to 127.0.0.1.
void send_loopback(std::span<const std::uint8_t> payload) {
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, vrrp::ip_proto_vrrp);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto n =
      ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  ::close(fd);
  REQUIRE(n == ssize_t(payload.size()));
}

/// A VRRP socket on lo with a loop that runs until the packet marked `mark` arrives.
struct Loopback {
  boost::asio::io_context ctx;
  spdlog::logger log{"test", std::make_shared<spdlog::sinks::null_sink_st>()};
  vrrp::io::VrrpSocket sock{ctx, log, int(::if_nametoindex("lo")), "lo", core::Family::inet};
  std::uint8_t want = 0;
  std::optional<std::chrono::nanoseconds> seen;

  Loopback() {
    sock.start([this](const vrrp::io::Packet& p) {
      // Other raw sockets on lo may see traffic too: only our marked packet counts.
      if (p.message.size() == 8 && p.message[0] == 0xee && p.message[1] == want)
        seen = p.age;
    });
  }

  /// Sends a marked packet, lets it wait `delay` in the socket queue before the loop runs, and
  /// returns the age the handler saw.
  std::chrono::nanoseconds age_after(std::chrono::nanoseconds delay, std::uint8_t mark) {
    want = mark;
    seen.reset();
    std::array<std::uint8_t, 8> payload{0xee, mark, 1, 2, 3, 4, 5, 6};
    send_loopback(payload);
    std::this_thread::sleep_for(delay);
    auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!seen && std::chrono::steady_clock::now() < give_up)
      ctx.run_one_for(100ms);
    REQUIRE(seen);
    return *seen;
  }

  /// Receive timestamping is switched on lazily, system-wide: the first SO_TIMESTAMP* socket
  /// only schedules the switch (a deferred static key in the kernel), and until it is on,
  /// packets carry no arrival time and the kernel stamps them when they are read (age ~0).
  /// On a fresh machine this socket is often the first. Wait until two probes in a row show
  /// their real wait (they can only look older under load, never younger).
  void wait_for_arrival_stamps() {
    auto give_up = std::chrono::steady_clock::now() + 20s;
    int in_a_row = 0;
    while (in_a_row < 2) {
      REQUIRE(std::chrono::steady_clock::now() < give_up);
      in_a_row = age_after(20ms, 0x7f) >= 10ms ? in_a_row + 1 : 0;
    }
  }
};

} // namespace

TEST_CASE("a received packet carries how long it waited since the kernel got it") {
  Loopback lo;
  lo.wait_for_arrival_stamps();
  auto age = lo.age_after(40ms, 1);
  CHECK(age >= 40ms);
  CHECK(age <= vrrp::io::max_packet_age);
}

TEST_CASE("the packet age is bounded (a wall-clock step cannot move a timer far)") {
  Loopback lo;
  lo.wait_for_arrival_stamps();
  auto age = lo.age_after(vrrp::io::max_packet_age + 150ms, 2);
  CHECK(age == vrrp::io::max_packet_age);
}

TEST_CASE("before the kernel stamps arrivals, a packet's age is 0 to a few ms, never negative") {
  // Whatever the system-wide switch is doing, the age is within [0, max_packet_age]: either
  // the real wait (~0 here) or the read-time stamp.
  Loopback lo;
  auto age = lo.age_after(0ms, 3);
  CHECK(age >= 0ns);
  CHECK(age <= vrrp::io::max_packet_age);
}

TEST_CASE("queued messages leave in order with flush(), and a burst is read back in order") {
  // 100 messages: two sendmmsg calls (64 per call) and four recvmmsg rounds (32 per call).
  boost::asio::io_context ctx;
  spdlog::logger log{"test", std::make_shared<spdlog::sinks::null_sink_st>()};
  vrrp::io::VrrpSocket sock{ctx, log, int(::if_nametoindex("lo")), "lo", core::Family::inet};
  std::vector<int> got;
  sock.start([&](const vrrp::io::Packet& p) {
    if (p.message.size() == 8 && p.message[0] == 0xed && p.ttl == 77)
      got.push_back(p.message[1]);
  });
  auto lo = core::IpAddress::parse("127.0.0.1").value();
  for (int k = 0; k < 100; ++k) {
    std::vector<std::uint8_t> m{0xed, std::uint8_t(k), 0, 0, 0, 0, 0, 0};
    sock.queue(std::move(m), lo, lo, 77);
  }
  CHECK(sock.queued() == 100);
  auto before = sock.sent();
  sock.flush();
  CHECK(sock.queued() == 0);
  CHECK(sock.sent() - before == 100);
  CHECK(sock.send_errors() == 0);
  auto give_up = std::chrono::steady_clock::now() + 10s;
  while (got.size() < 100 && std::chrono::steady_clock::now() < give_up)
    ctx.run_one_for(100ms);
  REQUIRE(got.size() == 100);
  for (int k = 0; k < 100; ++k)
    CHECK(got[std::size_t(k)] == k);
}

TEST_CASE("a busy socket is read on a timer (and by poll()) until traffic slows down") {
  boost::asio::io_context ctx;
  spdlog::logger log{"test", std::make_shared<spdlog::sinks::null_sink_st>()};
  vrrp::io::VrrpSocket sock{ctx, log, int(::if_nametoindex("lo")), "lo", core::Family::inet};
  int got = 0;
  sock.start([&](const vrrp::io::Packet& p) {
    if (p.message.size() == 8 && p.message[0] == 0xec)
      ++got;
  });
  auto lo = core::IpAddress::parse("127.0.0.1").value();
  auto send = [&](int n) {
    for (int k = 0; k < n; ++k)
      sock.queue({0xec, 0, 0, 0, 0, 0, 0, 0}, lo, lo, 255);
    sock.flush();
  };
  auto run_until = [&](auto done) {
    auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < give_up)
      ctx.run_one_for(50ms);
    return done();
  };
  // Readiness every 0.5 ms (each read right away): quick enough to leave the reactor. A
  // loaded machine may space them out; then it tries again.
  CHECK_FALSE(sock.polling());
  for (int round = 0; round < 200 && !sock.polling(); ++round) {
    send(1);
    int want = got + 1;
    REQUIRE(run_until([&] { return got >= want; }));
    std::this_thread::sleep_for(500us);
  }
  REQUIRE(sock.polling());
  // While polling, the reactor does not report the socket: packets wait for the next poll,
  // or for poll(), which reads them at once.
  int before = got;
  send(5);
  std::this_thread::sleep_for(1ms);
  sock.poll();
  CHECK(got == before + 5);
  // A poll that finds something keeps it polling; four in a row that find (almost) nothing
  // return it to the reactor, where a packet is read as soon as it comes.
  REQUIRE(run_until([&] { return !sock.polling(); }));
  before = got;
  send(1);
  REQUIRE(run_until([&] { return got == before + 1; }));
  CHECK_FALSE(sock.polling());
}
