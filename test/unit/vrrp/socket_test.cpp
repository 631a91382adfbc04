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

/// Sends a marked packet, lets it wait `delay` in the socket queue before the loop runs, and
/// returns the age the handler saw.
std::chrono::nanoseconds age_after(std::chrono::nanoseconds delay, std::uint8_t mark) {
  boost::asio::io_context ctx;
  spdlog::logger log("test", std::make_shared<spdlog::sinks::null_sink_st>());
  vrrp::io::VrrpSocket sock(ctx, log, int(::if_nametoindex("lo")), "lo", core::Family::inet);
  std::optional<std::chrono::nanoseconds> seen;
  sock.start([&](const vrrp::io::Packet& p) {
    // Other raw sockets on lo may see traffic too: only our marked packet counts.
    if (p.message.size() == 8 && p.message[0] == 0xee && p.message[1] == mark)
      seen = p.age;
  });
  std::array<std::uint8_t, 8> payload{0xee, mark, 1, 2, 3, 4, 5, 6};
  send_loopback(payload);
  std::this_thread::sleep_for(delay);
  auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!seen && std::chrono::steady_clock::now() < give_up)
    ctx.run_one_for(100ms);
  REQUIRE(seen);
  return *seen;
}

} // namespace

TEST_CASE("a received packet carries how long it waited since the kernel got it") {
  auto age = age_after(40ms, 1);
  CHECK(age >= 40ms);
  CHECK(age <= vrrp::io::max_packet_age);
}

TEST_CASE("the packet age is bounded (a wall-clock step cannot move a timer far)") {
  auto age = age_after(vrrp::io::max_packet_age + 150ms, 2);
  CHECK(age == vrrp::io::max_packet_age);
}
