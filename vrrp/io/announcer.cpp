#include "vrrp/io/announcer.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include "vrrp/announce.hpp"

namespace vigil::vrrp::io {
namespace {

namespace asio = boost::asio;
using Frames = std::vector<std::vector<std::uint8_t>>;

/// What a frame is, by its ethertype, for log lines.
const char* describe(std::span<const std::uint8_t> frame) {
  if (frame.size() < ethernet_header_size)
    return "frame";
  auto ethertype = std::uint16_t((frame[12] << 8) | frame[13]);
  if (ethertype == ethertype_arp)
    return "gratuitous ARP";
  if (ethertype == ethertype_ipv6)
    return "unsolicited NA";
  return "frame";
}

/// "eth0 (ifindex 3)", or "ifindex 3" when the interface has no name (any more).
std::string interface_text(int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (ifindex > 0 && ::if_indextoname(unsigned(ifindex), name) != nullptr)
    return std::string(name) + " (ifindex " + std::to_string(ifindex) + ")";
  return "ifindex " + std::to_string(ifindex);
}

asio::awaitable<void> nothing_more() {
  co_return;
}

/// Frames 1 .. rounds * frames.size() - 1 of a burst (frame 0 already left), `gap` apart.
/// `self` expires when the Announcer is destroyed: the burst then stops at its next wake-up.
asio::awaitable<void> rest_of_burst(std::weak_ptr<Announcer*> self, asio::io_context& ctx,
                                    int ifindex, Frames frames, std::uint32_t rounds,
                                    std::chrono::microseconds gap) {
  asio::steady_timer timer(ctx);
  const std::size_t total = std::size_t(rounds) * frames.size();
  for (std::size_t i = 1; i < total; ++i) {
    timer.expires_after(gap);
    // Cancellation (operation_aborted) is how a caller stops a burst: not an error.
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec)
      co_return;
    std::shared_ptr<Announcer*> alive = self.lock();
    if (!alive)
      co_return;
    (*alive)->send(ifindex, frames[i % frames.size()]);
  }
}

} // namespace

Announcer::Announcer(asio::io_context& ctx, spdlog::logger& log)
    : ctx_(ctx), log_(log), self_(std::make_shared<Announcer*>(this)) {}

Announcer::~Announcer() {
  close_all();
}

void Announcer::close_all() {
  for (auto& [ifindex, fd] : sockets_)
    ::close(fd);
  sockets_.clear();
}

void Announcer::forget(int ifindex) {
  auto it = sockets_.find(ifindex);
  if (it == sockets_.end())
    return;
  ::close(it->second);
  sockets_.erase(it);
}

int Announcer::socket_for(int ifindex) {
  if (auto it = sockets_.find(ifindex); it != sockets_.end())
    return it->second;
  // Protocol 0: the socket is bound to the interface for sending but registers no receive
  // hook, so the kernel never queues incoming frames to it.
  int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    log_.warn("cannot open an AF_PACKET socket for {}: {}", interface_text(ifindex),
              std::strerror(err));
    return -1;
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0;
  sll.sll_ifindex = ifindex;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0) {
    int err = errno;
    ::close(fd);
    log_.warn("cannot bind an AF_PACKET socket to {}: {}", interface_text(ifindex),
              std::strerror(err));
    return -1;
  }
  sockets_.emplace(ifindex, fd);
  return fd;
}

void Announcer::send(int ifindex, std::span<const std::uint8_t> frame) {
  int fd = socket_for(ifindex);
  if (fd < 0) {
    ++send_errors_;
    return;
  }
  ssize_t n = 0;
  do {
    n = ::send(fd, frame.data(), frame.size(), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n == ssize_t(frame.size())) {
    ++frames_sent_;
    return;
  }
  int err = n < 0 ? errno : EMSGSIZE;
  ++send_errors_;
  log_.warn("{} send on {} failed: {}", describe(frame), interface_text(ifindex),
            std::strerror(err));
  // The interface is gone: the kernel unbinds the socket for good, so the next send reopens
  // (and fails cleanly with ENODEV if the interface is still missing).
  if (err == ENXIO || err == ENODEV)
    forget(ifindex);
}

asio::awaitable<void> Announcer::burst(int ifindex, Frames frames, std::uint32_t rounds,
                                       std::chrono::microseconds gap) {
  if (frames.empty() || rounds == 0)
    return nothing_more();
  // Not a coroutine itself: the first frame leaves before this function returns, whatever
  // the caller does with the awaitable (see the header's timing contract).
  if (gap <= std::chrono::microseconds::zero()) {
    for (std::uint32_t r = 0; r < rounds; ++r)
      for (const auto& f : frames)
        send(ifindex, f);
    return nothing_more();
  }
  send(ifindex, frames.front());
  return rest_of_burst(self_, ctx_, ifindex, std::move(frames), rounds, gap);
}

} // namespace vigil::vrrp::io
