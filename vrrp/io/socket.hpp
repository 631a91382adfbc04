#pragma once
// A raw IP protocol-112 socket bound to one interface and one family: receives every VRRP
// packet arriving there (multicast and unicast) and sends adverts with TTL/hop limit 255 and a
// chosen source address. Never blocks: receive is asynchronous, send is non-blocking.
// In AH mode (VRRPv2 `auth_type AH`, IPv4 only) it is a raw IP protocol-51 socket with
// IP_HDRINCL instead: it receives every AH packet on the interface, and the caller sends whole
// IP packets built by vrrp::ah::seal() (the ICV covers the IP header, so vigil builds it).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/ip.hpp"

struct msghdr;
struct iovec;
namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace vigil::vrrp::io {

/// What a socket carries.
enum class Transport : std::uint8_t {
  vrrp, ///< IP protocol 112; the kernel builds the IP header (send())
  ah,   ///< IP protocol 51 with IP_HDRINCL, IPv4 only; the caller builds packets (send_raw())
};

/// A received VRRP packet: the VRRP message and what the IP layer said about it.
struct Packet {
  std::span<const std::uint8_t> message; ///< the IP payload (VRRP message; for AH: AH + VRRP)
  /// IPv4: the whole IP packet, header to total length (what vrrp::ah::open() takes). Empty for
  /// IPv6 (the kernel does not deliver the IPv6 header).
  std::span<const std::uint8_t> ip_packet;
  core::IpAddress src;
  core::IpAddress dst;
  std::uint8_t ttl = 0; ///< TTL (IPv4) or hop limit (IPv6)
  /// How long before its delivery to the handler the kernel received it (0 if unknown, at most
  /// max_packet_age): the handler's "now" minus this is the advert's arrival time.
  std::chrono::nanoseconds age{0};
};

/// The largest Packet::age reported (a bound against wall-clock steps).
inline constexpr std::chrono::nanoseconds max_packet_age = std::chrono::milliseconds(100);

class VrrpSocket {
public:
  /// Opens the socket on interface `ifname` (index `ifindex`). Throws std::system_error (also
  /// for Transport::ah with IPv6: EAFNOSUPPORT).
  ///
  /// With `link_layer`, multicast adverts on an Ethernet interface are written at the link
  /// layer (one AF_PACKET socket shared by all: the same IP packet, about half the kernel's
  /// cost of a raw IP send, but the IP output path, netfilter's OUTPUT and POSTROUTING hooks
  /// included, does not see them). Unicast adverts, other interfaces and Transport::ah always
  /// go through the raw IP socket.
  VrrpSocket(boost::asio::io_context& ctx, spdlog::logger& log, int ifindex,
             const std::string& ifname, core::Family family, Transport transport = Transport::vrrp,
             bool link_layer = false);
  ~VrrpSocket();
  VrrpSocket(const VrrpSocket&) = delete;
  VrrpSocket& operator=(const VrrpSocket&) = delete;

  /// Joins multicast `group` on the interface (idempotent). Throws std::system_error.
  void join(const core::IpAddress& group);
  /// For a send-only socket: the kernel drops every packet for it (no queue to fill).
  void discard_input();
  /// Starts the receive loop.
  void start(std::function<void(const Packet&)> on_packet);
  /// Sends one VRRP message from `src` to `dst` with TTL/hop limit `ttl`. Returns false when
  /// the kernel refused it (logged with its reason, counted).
  bool send(std::span<const std::uint8_t> message, const core::IpAddress& src,
            const core::IpAddress& dst, std::uint8_t ttl);
  /// Like send(), but later: the message waits for flush(), which hands every queued message
  /// to the kernel in one sendmmsg (adverts due together, one system call).
  void queue(std::vector<std::uint8_t> message, const core::IpAddress& src,
             const core::IpAddress& dst, std::uint8_t ttl);
  /// Sends what queue() collected, in order; a refused message is logged and counted as by
  /// send(), and the rest still go.
  void flush();
  /// Messages waiting for flush().
  std::size_t queued() const;
  /// Transport::ah only: sends `ip_packet`, a complete IPv4 packet (header included, e.g. from
  /// vrrp::ah::seal()), to `dst` (its destination address) out of this socket's interface. The
  /// kernel sends the header as given (it only fills in a zero IP id, which would break the
  /// ICV, and rewrites total length and header checksum to the same values). Returns false
  /// when the kernel refused it or the socket is not an AH socket (logged, counted).
  bool send_raw(std::span<const std::uint8_t> ip_packet, const core::IpAddress& dst);

  int ifindex() const { return ifindex_; }
  core::Family family() const { return family_; }
  Transport transport() const { return transport_; }
  std::uint64_t received() const { return received_; }
  std::uint64_t malformed() const { return malformed_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t send_errors() const { return send_errors_; }

  /// Receive pacing: true while the socket is busy enough to be read on a timer instead of
  /// on readiness (see socket.cpp).
  bool polling() const;
  /// Reads and hands on whatever waits in the socket now (for a polling socket, before a
  /// deadline is judged: no advert that arrived before it may be left unread).
  void poll();

private:
  void on_readable();
  /// Reads what waits (a bounded number); returns how many packets were read.
  std::size_t read_pending();
  void schedule_poll();
  void on_poll();
  /// Parses one received packet (`n` bytes at `data`, `msg` its header) and hands it on.
  void deliver(::msghdr& msg, const std::uint8_t* data, std::size_t n);
  /// Fills `msg` (with `to` and `control` as its storage) for one message to `dst`.
  void prepare(::msghdr& msg, void* to, std::uint8_t* control, const core::IpAddress& src,
               const core::IpAddress& dst, int ttl) const;
  void refused(const core::IpAddress& src, const core::IpAddress& dst, int err);
  /// Whether the advert to `dst` goes out at the link layer (see the constructor).
  bool framed(const core::IpAddress& src, const core::IpAddress& dst) const;
  /// Fills `msg` for the link-layer send of `message`: `iov` (two entries) points at `header`
  /// (room for an IPv6 header), filled here, and at the message; `to` is the link address.
  void prepare_framed(::msghdr& msg, void* to, ::iovec* iov, std::uint8_t* header,
                      std::span<const std::uint8_t> message, const core::IpAddress& src,
                      const core::IpAddress& dst, int ttl);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  spdlog::logger& log_;
  int ifindex_;
  std::string ifname_;
  core::Family family_;
  Transport transport_;
  std::function<void(const Packet&)> on_packet_;
  std::uint64_t received_ = 0;
  std::uint64_t malformed_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t send_errors_ = 0;
  std::vector<core::IpAddress> joined_;
  int link_fd_ = -1;        ///< the shared AF_PACKET socket, when adverts are framed here
  std::uint16_t ip_id_ = 0; ///< IPv4 identification of the next framed advert
};

} // namespace vigil::vrrp::io
