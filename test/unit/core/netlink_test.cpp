// core/io/netlink against the real kernel: batches of requests in one datagram, answered only
// where refused and at the end. RTM_GETLINK needs no privilege; an unknown ifindex is refused.
#include <catch2/catch.hpp>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "core/io/netlink.hpp"

using namespace vigil::core::io;
namespace asio = boost::asio;

namespace {

/// RTM_GETLINK for one interface index (not a dump: one reply, or ENODEV).
std::vector<std::uint8_t> get_link(int index) {
  Message m(RTM_GETLINK, 0);
  auto* ifi = m.extra<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return m.take();
}

struct Outcome {
  std::vector<std::pair<std::size_t, int>> refused; ///< index in the batch, errno
  std::optional<std::optional<NetlinkError>> done;
  std::size_t replies = 0; ///< RTM_NEWLINK answers, seen as notifications
};

/// `datagram` sent as one batch.
Outcome run_datagram(std::vector<std::uint8_t> datagram) {
  asio::io_context ctx;
  NetlinkSocket sock(ctx, NETLINK_ROUTE);
  Outcome out;
  sock.start([&](const nlmsghdr& nlh) {
    if (nlh.nlmsg_type == RTM_NEWLINK)
      ++out.replies;
  });
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        out.done = co_await sock.call_batch(std::move(datagram),
                                            [&](std::size_t i, const NetlinkError& e) {
                                              out.refused.push_back({i, e.code});
                                            });
        CHECK(sock.pending() == 0);
        ctx.stop(); // the socket keeps waiting for messages
      },
      asio::detached);
  ctx.run();
  return out;
}

/// `msgs` laid out back to back (as IPVS encodes its batches) and sent as one batch.
Outcome run_batch(const std::vector<std::vector<std::uint8_t>>& msgs) {
  std::vector<std::uint8_t> datagram;
  for (const auto& m : msgs) {
    datagram.insert(datagram.end(), m.begin(), m.end());
    datagram.resize(NLMSG_ALIGN(datagram.size()), 0);
  }
  return run_datagram(std::move(datagram));
}

} // namespace

TEST_CASE("a batch answers only its refused requests, each with its index, then finishes") {
  const int lo = static_cast<int>(::if_nametoindex("lo"));
  REQUIRE(lo > 0);
  const int missing = 0x7ffffff0;
  auto out = run_batch({get_link(lo), get_link(missing), get_link(lo), get_link(lo),
                        get_link(missing + 1), get_link(lo)});
  REQUIRE(out.done.has_value());
  CHECK(!out.done->has_value());
  REQUIRE(out.refused.size() == 2);
  CHECK(out.refused[0] == std::pair<std::size_t, int>{1, ENODEV});
  CHECK(out.refused[1] == std::pair<std::size_t, int>{4, ENODEV});
  // Every request ran, in order, in the one datagram.
  CHECK(out.replies == 4);
}

TEST_CASE("a batch whose last request is refused reports it and finishes") {
  const int lo = static_cast<int>(::if_nametoindex("lo"));
  auto out = run_batch({get_link(lo), get_link(0x7ffffff0)});
  REQUIRE(out.done.has_value());
  CHECK(!out.done->has_value());
  REQUIRE(out.refused.size() == 1);
  CHECK(out.refused[0].first == 1);
  CHECK(out.replies == 1);
}

TEST_CASE("a batch that cannot be sent reports the send error and nothing else") {
  // Larger than any socket send buffer: the kernel refuses the datagram as a whole.
  std::vector<std::vector<std::uint8_t>> msgs(40000, get_link(1));
  auto out = run_batch(msgs);
  REQUIRE(out.done.has_value());
  REQUIRE(out.done->has_value());
  CHECK((*out.done)->code == EMSGSIZE);
  CHECK(out.refused.empty());
  CHECK(out.replies == 0);
}

TEST_CASE("an empty batch finishes at once") {
  auto out = run_batch({});
  REQUIRE(out.done.has_value());
  CHECK(!out.done->has_value());
}

TEST_CASE("a batch whose lengths run past the datagram sends nothing and says why") {
  auto bytes = get_link(1);
  auto* nlh = reinterpret_cast<nlmsghdr*>(bytes.data());
  nlh->nlmsg_len += 64; // claims more than there is
  auto out = run_datagram(bytes);
  REQUIRE(out.done.has_value());
  REQUIRE(out.done->has_value());
  CHECK((*out.done)->code == EINVAL);
  CHECK(out.refused.empty());
  CHECK(out.replies == 0);
}
