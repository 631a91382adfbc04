#include "vrrp/io/socket.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <cstring>
#include <random>
#include <system_error>
#include <utility>

#include <spdlog/logger.h>

#include <boost/asio/steady_timer.hpp>

#include "core/io/fd.hpp"

#include "vrrp/ah.hpp"
#include "vrrp/packet.hpp"

namespace vigil::vrrp::io {
namespace {

// Room for the control messages of one send: IPv6 packet info and hop limit.
constexpr std::size_t control_size = 128;

// DSCP CS6 (network control), as keepalived marks its adverts.
constexpr int traffic_class = 0xc0;

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void setopt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0)
    fail(what);
}

/// Fills control message `c` with `value`; returns `c`.
template <class T> cmsghdr* put_cmsg(cmsghdr* c, int level, int type, const T& value) {
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof value);
  std::memcpy(CMSG_DATA(c), &value, sizeof value);
  return c;
}

/// How long ago the kernel received the packet of `msg` (SCM_TIMESTAMPNS, a CLOCK_REALTIME
/// time): 0 when absent, and clamped to [0, max_packet_age] so that a wall-clock step between
/// arrival and now cannot move a timer by more than that.
std::chrono::nanoseconds packet_age(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
      continue;
    timespec rx{};
    std::memcpy(&rx, CMSG_DATA(c), sizeof rx);
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    auto age = std::chrono::seconds(now.tv_sec - rx.tv_sec) +
               std::chrono::nanoseconds(now.tv_nsec - rx.tv_nsec);
    return std::clamp<std::chrono::nanoseconds>(age, std::chrono::nanoseconds(0), max_packet_age);
  }
  return std::chrono::nanoseconds(0);
}

/// The AF_PACKET socket every VrrpSocket writes framed adverts on (-1 if the kernel refused
/// one: then they go through the IP layer). Protocol 0: it sends and never receives.
int shared_link_fd(spdlog::logger& log) {
  static const int fd = [&log] {
    int f = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f < 0) {
      log.warn("cannot open a packet socket ({}): VRRP adverts go through the IP layer",
               std::strerror(errno));
      return f;
    }
    // Every interface's adverts are charged to this one socket until their devices free them
    // (after transmission on a real NIC): room for a takeover storm's thousands, not the
    // default ~200. FORCE passes the wmem_max limit (we have CAP_NET_ADMIN); plain is the
    // fallback, capped.
    int bytes = 8 << 20;
    if (::setsockopt(f, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
      ::setsockopt(f, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    return f;
  }();
  return fd;
}

} // namespace

struct VrrpSocket::Impl {
  Impl(boost::asio::io_context& ctx, int fd) : fd(ctx, fd), poll_timer(ctx) {}
  core::io::Fd fd;
  boost::asio::steady_timer poll_timer;             ///< receive pacing (see on_readable)
  std::chrono::steady_clock::time_point last_event; ///< the last readiness
  int quick_events = 0;       ///< readiness in a row that came soon after the previous one
  int slow_polls = 0;         ///< polls in a row that found less than two packets
  bool resume_failed = false; ///< the reactor refused the socket once (logged once)
  /// Receive slots (allocated when receiving starts). A slot holds the largest VRRP packet:
  /// an IPv4 header with options and 255 IPv6-sized addresses; larger is truncated, dropped.
  static constexpr std::size_t batch = 32;
  struct Slot {
    std::array<std::uint8_t, 4352> data;
    sockaddr_storage from;
    iovec iov;
    alignas(cmsghdr) std::array<std::uint8_t, 256> control;
  };
  std::vector<Slot> rx;
  struct Queued {
    std::vector<std::uint8_t> bytes;
    core::IpAddress src;
    core::IpAddress dst;
    int ttl;
  };
  std::vector<Queued> queue; ///< adverts waiting for flush()
};

VrrpSocket::VrrpSocket(boost::asio::io_context& ctx, spdlog::logger& log, int ifindex,
                       const std::string& ifname, core::Family family, Transport transport,
                       bool link_layer)
    : log_(log), ifindex_(ifindex), ifname_(ifname), family_(family), transport_(transport) {
  bool v4 = family == core::Family::inet;
  bool use_ah = transport == Transport::ah;
  if (use_ah && !v4) {
    errno = EAFNOSUPPORT;
    fail("VRRP AH socket on " + ifname + " (AH is VRRPv2 over IPv4 only)");
  }
  int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    use_ah ? ah::ip_proto_ah : ip_proto_vrrp);
  if (fd < 0)
    fail(std::string(use_ah ? "VRRP AH" : "VRRP") + " raw socket on " + ifname);
  try {
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), socklen_t(ifname.size())) !=
        0)
      fail("SO_BINDTODEVICE " + ifname);
    setopt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 18, "SO_RCVBUF");
    // The kernel's receive time: timers restart from when the advert arrived, not from when the
    // (possibly busy) event loop got to it.
    setopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
    if (use_ah) {
      // vigil writes the whole IP header (TTL, TOS, id, addresses): the ICV covers it. The
      // multicast options still choose the interface and keep our own adverts from looping.
      setopt(fd, IPPROTO_IP, IP_HDRINCL, 1, "IP_HDRINCL");
      setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
      ip_mreqn mr{};
      mr.imr_ifindex = ifindex;
      if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr) != 0)
        fail("IP_MULTICAST_IF");
    } else if (v4) {
      setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
      setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL");
      setopt(fd, IPPROTO_IP, IP_TTL, 255, "IP_TTL");
      setopt(fd, IPPROTO_IP, IP_TOS, traffic_class, "IP_TOS");
      // unicast_src_ip may name an address that is not (yet) on this host.
      setopt(fd, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND");
      ip_mreqn mr{};
      mr.imr_ifindex = ifindex;
      if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr) != 0)
        fail("IP_MULTICAST_IF");
    } else {
      setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
      setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS");
      setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS");
      setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF");
      setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
      setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
      setopt(fd, IPPROTO_IPV6, IPV6_TCLASS, traffic_class, "IPV6_TCLASS");
      setopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1, "IPV6_FREEBIND");
      // No IPV6_CHECKSUM: the codec checks checksums itself and counts the bad ones.
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (link_layer && !use_ah) {
    ifreq ifr{};
    ifname.copy(ifr.ifr_name, IFNAMSIZ - 1);
    if (::ioctl(fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER)
      link_fd_ = shared_link_fd(log);
    ip_id_ = std::uint16_t(std::random_device{}());
  }
  impl_ = std::make_unique<Impl>(ctx, fd);
}

VrrpSocket::~VrrpSocket() = default;

void VrrpSocket::join(const core::IpAddress& group) {
  if (std::find(joined_.begin(), joined_.end(), group) != joined_.end())
    return;
  int fd = impl_->fd.get();
  if (family_ == core::Family::inet) {
    ip_mreqn mr{};
    std::memcpy(&mr.imr_multiaddr, group.data(), 4);
    mr.imr_ifindex = ifindex_;
    if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) != 0 && errno != EADDRINUSE)
      fail("join " + group.to_string() + " on " + ifname_);
  } else {
    ipv6_mreq mr{};
    std::memcpy(&mr.ipv6mr_multiaddr, group.data(), 16);
    mr.ipv6mr_interface = unsigned(ifindex_);
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof mr) != 0 &&
        errno != EADDRINUSE)
      fail("join " + group.to_string() + " on " + ifname_);
  }
  joined_.push_back(group);
}

void VrrpSocket::discard_input() {
  sock_filter drop{BPF_RET | BPF_K, 0, 0, 0};
  sock_fprog prog{1, &drop};
  if (::setsockopt(impl_->fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
    fail("SO_ATTACH_FILTER on " + ifname_);
}

void VrrpSocket::start(std::function<void(const Packet&)> on_packet) {
  on_packet_ = std::move(on_packet);
  impl_->fd.on_readable([this] { on_readable(); });
}

// Receive pacing. While a socket is watched by the reactor, every packet the kernel queues on
// it also runs the reactor's wake-up callback, in the sender's context, and a busy socket wakes
// the loop for every few packets. A socket whose readiness comes `quick_events` times in a row
// less than half a `poll_interval` after the previous one leaves the reactor and is read every
// `poll_interval` instead (on a grid of the steady clock, so that every polling socket is read
// in the same wake-up), until `slow_polls` polls in a row find fewer than two packets. Adverts
// keep their kernel arrival time (Packet::age), and deadlines are judged only after the
// polling sockets were read (VrrpSocket::poll()), so timers stay exact; acting on an advert
// that starts no timer (a master stepping down before a better one) waits at most one poll
// interval. A socket that only ever sees sparse or bursty traffic stays on the reactor.
namespace {
constexpr auto poll_interval = std::chrono::milliseconds(5);
constexpr int quick_events = 4;
constexpr int slow_polls = 4;
} // namespace

void VrrpSocket::on_readable() {
  auto alive = impl_->fd.alive();
  std::size_t n = read_pending();
  if (!*alive)
    return;
  auto now = std::chrono::steady_clock::now();
  bool quick = n > 0 && now - impl_->last_event < poll_interval / 2;
  impl_->last_event = now;
  impl_->quick_events = quick ? impl_->quick_events + 1 : 0;
  if (impl_->quick_events < quick_events)
    return;
  impl_->fd.pause();
  impl_->slow_polls = 0;
  schedule_poll();
}

bool VrrpSocket::polling() const {
  return impl_->fd.paused();
}

void VrrpSocket::poll() {
  if (impl_->fd.paused())
    read_pending();
}

void VrrpSocket::schedule_poll() {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  auto next = (now / poll_interval + 1) * poll_interval;
  impl_->poll_timer.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(next)));
  impl_->poll_timer.async_wait(
      [this, alive = impl_->fd.alive()](const boost::system::error_code& ec) {
        if (*alive && !ec)
          on_poll();
      });
}

void VrrpSocket::on_poll() {
  auto alive = impl_->fd.alive();
  std::size_t n = read_pending();
  if (!*alive)
    return;
  impl_->slow_polls = n < 2 ? impl_->slow_polls + 1 : 0;
  if (impl_->slow_polls < slow_polls) {
    schedule_poll();
    return;
  }
  impl_->quick_events = 0;
  if (!impl_->fd.resume()) { // quiet again: back to the reactor, or polling still if refused
    if (!std::exchange(impl_->resume_failed, true))
      log_.warn("cannot watch the VRRP socket of {} again: it stays polled", ifname_);
    schedule_poll();
  }
}

std::size_t VrrpSocket::read_pending() {
  // Up to `batch` packets per recvmmsg: the adverts of a whole group of instances, sent
  // together by the peer, come in one system call.
  constexpr std::size_t batch = Impl::batch;
  auto& rx = impl_->rx;
  if (rx.empty())
    rx.resize(batch);
  std::array<mmsghdr, batch> msgs{};
  std::size_t budget = 0;
  while (budget < 256) { // bounded: adverts of other sockets wait too
    for (std::size_t k = 0; k < batch; ++k) {
      auto& slot = rx[k];
      slot.iov = iovec{slot.data.data(), slot.data.size()};
      msgs[k] = mmsghdr{};
      msghdr& msg = msgs[k].msg_hdr;
      msg.msg_name = &slot.from;
      msg.msg_namelen = sizeof slot.from;
      msg.msg_iov = &slot.iov;
      msg.msg_iovlen = 1;
      msg.msg_control = slot.control.data();
      msg.msg_controllen = slot.control.size();
    }
    int n = ::recvmmsg(impl_->fd.get(), msgs.data(), unsigned(batch), MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break; // EAGAIN: drained (other errors: the next readiness tells us again)
    }
    for (int k = 0; k < n; ++k) {
      ++budget;
      auto alive = impl_->fd.alive();
      deliver(msgs[std::size_t(k)].msg_hdr, rx[std::size_t(k)].data.data(),
              msgs[std::size_t(k)].msg_len);
      if (!*alive)
        return budget;
    }
    if (std::size_t(n) < batch)
      break; // the queue was empty: the next packet brings a new readiness
  }
  return budget;
}

void VrrpSocket::deliver(msghdr& msg, const std::uint8_t* data, std::size_t n) {
  ++received_;
  if (msg.msg_flags & MSG_TRUNC) { // larger than any VRRP packet
    ++malformed_;
    return;
  }
  Packet p;
  p.age = packet_age(msg);
  if (family_ == core::Family::inet) {
    // IPv4 raw sockets deliver the IP header: TTL and destination come from it.
    if (n < 20 || (data[0] >> 4) != 4) {
      ++malformed_;
      return;
    }
    std::size_t ihl = std::size_t(data[0] & 0x0f) * 4;
    std::size_t total = (std::size_t(data[2]) << 8) | data[3];
    if (ihl < 20 || n < ihl || total > n || total < ihl) {
      ++malformed_;
      return;
    }
    p.ttl = data[8];
    p.src = core::IpAddress::from_bytes(core::Family::inet, data + 12);
    p.dst = core::IpAddress::from_bytes(core::Family::inet, data + 16);
    p.message = std::span<const std::uint8_t>(data + ihl, total - ihl);
    p.ip_packet = std::span<const std::uint8_t>(data, total);
  } else {
    auto* sin6 = static_cast<sockaddr_in6*>(msg.msg_name);
    p.src = core::IpAddress::from_bytes(core::Family::inet6, sin6->sin6_addr.s6_addr);
    bool have_dst = false;
    bool have_hops = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6)
        continue;
      if (c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        p.dst = core::IpAddress::from_bytes(core::Family::inet6, info.ipi6_addr.s6_addr);
        have_dst = true;
      } else if (c->cmsg_type == IPV6_HOPLIMIT) {
        int hops = 0;
        std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
        p.ttl = std::uint8_t(hops);
        have_hops = true;
      }
    }
    if (!have_dst || !have_hops) {
      ++malformed_;
      return;
    }
    p.message = std::span<const std::uint8_t>(data, n);
  }
  on_packet_(p);
}

void VrrpSocket::prepare(msghdr& msg, void* to, std::uint8_t* control, const core::IpAddress& src,
                         const core::IpAddress& dst, int hops) const {
  msg.msg_control = control;
  if (family_ == core::Family::inet) {
    auto* to4 = static_cast<sockaddr_in*>(to);
    *to4 = sockaddr_in{};
    to4->sin_family = AF_INET;
    std::memcpy(&to4->sin_addr, dst.data(), 4);
    msg.msg_name = to4;
    msg.msg_namelen = sizeof *to4;
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(int));
    in_pktinfo info{};
    info.ipi_ifindex = ifindex_;
    std::memcpy(&info.ipi_spec_dst, src.data(), 4); // the source address of the packet
    cmsghdr* c = put_cmsg(CMSG_FIRSTHDR(&msg), IPPROTO_IP, IP_PKTINFO, info);
    put_cmsg(CMSG_NXTHDR(&msg, c), IPPROTO_IP, IP_TTL, hops);
  } else {
    auto* to6 = static_cast<sockaddr_in6*>(to);
    *to6 = sockaddr_in6{};
    to6->sin6_family = AF_INET6;
    std::memcpy(&to6->sin6_addr, dst.data(), 16);
    if (dst.is_link_local() || dst.is_multicast())
      to6->sin6_scope_id = unsigned(ifindex_);
    msg.msg_name = to6;
    msg.msg_namelen = sizeof *to6;
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int));
    in6_pktinfo info{};
    info.ipi6_ifindex = unsigned(ifindex_);
    std::memcpy(&info.ipi6_addr, src.data(), 16);
    cmsghdr* c = put_cmsg(CMSG_FIRSTHDR(&msg), IPPROTO_IPV6, IPV6_PKTINFO, info);
    put_cmsg(CMSG_NXTHDR(&msg, c), IPPROTO_IPV6, IPV6_HOPLIMIT, hops);
  }
}

void VrrpSocket::refused(const core::IpAddress& src, const core::IpAddress& dst, int err) {
  ++send_errors_;
  log_.warn("cannot send VRRP advert on {} from {} to {}: {}", ifname_, src.to_string(),
            dst.to_string(), std::strerror(err));
}

bool VrrpSocket::send(std::span<const std::uint8_t> message, const core::IpAddress& src,
                      const core::IpAddress& dst, std::uint8_t ttl) {
  if (transport_ != Transport::vrrp) {
    ++send_errors_;
    log_.error("cannot send a bare VRRP message on the AH socket of {}: use send_raw()", ifname_);
    return false;
  }
  std::array<iovec, 2> iov{iovec{const_cast<std::uint8_t*>(message.data()), message.size()}};
  msghdr msg{};
  alignas(cmsghdr) std::array<std::uint8_t, control_size> control{};
  std::array<std::uint8_t, 40> header;
  sockaddr_in6 to{};
  int fd = impl_->fd.get();
  if (framed(src, dst)) {
    prepare_framed(msg, &to, iov.data(), header.data(), message, src, dst, ttl);
    fd = link_fd_;
  } else {
    msg.msg_iov = iov.data();
    msg.msg_iovlen = 1;
    prepare(msg, &to, control.data(), src, dst, ttl);
  }
  ssize_t n;
  do {
    n = ::sendmsg(fd, &msg, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    refused(src, dst, errno);
    return false;
  }
  ++sent_;
  return true;
}

void VrrpSocket::queue(std::vector<std::uint8_t> message, const core::IpAddress& src,
                       const core::IpAddress& dst, std::uint8_t ttl) {
  if (transport_ != Transport::vrrp) {
    send(message, src, dst, ttl); // refused there, with the reason
    return;
  }
  impl_->queue.push_back({std::move(message), src, dst, ttl});
}

std::size_t VrrpSocket::queued() const {
  return impl_->queue.size();
}

void VrrpSocket::flush() {
  auto& q = impl_->queue;
  constexpr std::size_t chunk = 64;
  struct Slot {
    std::array<iovec, 2> iov;
    sockaddr_in6 to; // or a sockaddr_ll (smaller)
    alignas(cmsghdr) std::array<std::uint8_t, control_size> control;
    std::array<std::uint8_t, 40> header;
  };
  std::array<Slot, chunk> slots;
  std::array<mmsghdr, chunk> msgs;
  std::array<std::size_t, chunk> index; // slot -> queue position
  // Framed adverts on the packet socket first, then the others on the raw IP socket: each
  // queue position goes in one pass, in queue order, `chunk` per sendmmsg.
  for (bool link : {true, false}) {
    if (link && link_fd_ < 0)
      continue;
    int fd = link ? link_fd_ : impl_->fd.get();
    for (std::size_t next = 0;;) {
      std::size_t n = 0;
      for (; next < q.size() && n < chunk; ++next) {
        auto& m = q[next];
        if (framed(m.src, m.dst) != link)
          continue;
        auto& slot = slots[n];
        msgs[n] = mmsghdr{};
        msghdr& msg = msgs[n].msg_hdr;
        if (link) {
          prepare_framed(msg, &slot.to, slot.iov.data(), slot.header.data(), m.bytes, m.src, m.dst,
                         m.ttl);
        } else {
          slot.iov[0] = iovec{m.bytes.data(), m.bytes.size()};
          slot.control.fill(0);
          msg.msg_iov = slot.iov.data();
          msg.msg_iovlen = 1;
          prepare(msg, &slot.to, slot.control.data(), m.src, m.dst, m.ttl);
        }
        index[n++] = next;
      }
      if (n == 0)
        break;
      for (std::size_t done = 0; done < n;) {
        int sent;
        do {
          sent = ::sendmmsg(fd, msgs.data() + done, unsigned(n - done), MSG_DONTWAIT);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0) { // the first message was refused: report it and go on after it
          refused(q[index[done]].src, q[index[done]].dst, errno);
          ++done;
          continue;
        }
        sent_ += std::uint64_t(sent);
        done += std::size_t(sent);
      }
    }
  }
  q.clear();
}

static_assert(sizeof(sockaddr_ll) <= sizeof(sockaddr_in6), "a link address fits in a slot");

bool VrrpSocket::framed(const core::IpAddress& src, const core::IpAddress& dst) const {
  return link_fd_ >= 0 && dst.is_multicast() && src.family() == family_ && dst.family() == family_;
}

void VrrpSocket::prepare_framed(msghdr& msg, void* to, iovec* iov, std::uint8_t* header,
                                std::span<const std::uint8_t> message, const core::IpAddress& src,
                                const core::IpAddress& dst, int ttl) {
  // The header the raw IP socket would have had the kernel write: TOS / traffic class CS6,
  // IPv4 with DF and an identification of its own.
  bool v4 = family_ == core::Family::inet;
  IpHeader h{.protocol = ip_proto_vrrp,
             .ttl = std::uint8_t(ttl),
             .traffic_class = std::uint8_t(traffic_class),
             .id = v4 ? ip_id_++ : std::uint16_t(0),
             .dont_fragment = true};
  put_ip_header(header, src, dst, h, message.size());
  iov[0] = iovec{header, ip_header_length(family_)};
  iov[1] = iovec{const_cast<std::uint8_t*>(message.data()), message.size()};
  auto* ll = static_cast<sockaddr_ll*>(to);
  *ll = sockaddr_ll{};
  ll->sll_family = AF_PACKET;
  ll->sll_protocol = htons(v4 ? ETH_P_IP : ETH_P_IPV6);
  ll->sll_ifindex = ifindex_;
  ll->sll_halen = 6;
  auto mac = multicast_mac(dst);
  std::copy(mac.begin(), mac.end(), ll->sll_addr);
  msg.msg_name = ll;
  msg.msg_namelen = sizeof *ll;
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  msg.msg_control = nullptr;
  msg.msg_controllen = 0;
}

bool VrrpSocket::send_raw(std::span<const std::uint8_t> ip_packet, const core::IpAddress& dst) {
  if (transport_ != Transport::ah || !dst.is_v4()) {
    ++send_errors_;
    log_.error("cannot send a raw IP packet to {} on {}: not an IPv4 AH socket", dst.to_string(),
               ifname_);
    return false;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr, dst.data(), 4);
  ssize_t n;
  do {
    n = ::sendto(impl_->fd.get(), ip_packet.data(), ip_packet.size(), MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&to), sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ++send_errors_;
    log_.warn("cannot send VRRP AH advert on {} to {}: {}", ifname_, dst.to_string(),
              std::strerror(errno));
    return false;
  }
  ++sent_;
  return true;
}

} // namespace vigil::vrrp::io
