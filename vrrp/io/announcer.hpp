#pragma once
// Sends the frames built by vrrp/announce.hpp (gratuitous ARP, unsolicited NA) on an interface
// through AF_PACKET raw sockets, one per interface index, opened on first use.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <spdlog/fwd.h>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace vigil::vrrp::io {

/// Owns one `AF_PACKET, SOCK_RAW` socket per interface index it has sent on. Each socket is
/// non-blocking, close-on-exec, bound to its interface and opened with protocol 0, so it never
/// receives anything (no copy of the interface's traffic is queued to it). Frames are complete
/// Ethernet frames, link-layer header included. Sending never blocks and never throws: a failed
/// send (EAGAIN, ENETDOWN, ENXIO, ...) is logged at warn with the kernel's reason and the
/// interface index, and counted. Needs CAP_NET_RAW (opening a socket fails without it, which is
/// logged and counted like any send failure).
///
/// Single-threaded: use it from the io_context's thread only. Neither copyable nor movable
/// (bursts in flight refer to it). It may be destroyed while bursts are suspended: they end at
/// their next wake-up without sending.
class Announcer {
public:
  /// `ctx` runs the burst timers; `log` (the daemon's `vrrp` logger) receives send failures.
  /// Both must outlive the Announcer.
  Announcer(boost::asio::io_context& ctx, spdlog::logger& log);
  ~Announcer(); ///< closes every socket
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  /// Sends one Ethernet frame on interface `ifindex` now, opening its socket if needed.
  /// A non-blocking `send()`: the frame is queued to the device or counted as an error.
  void send(int ifindex, std::span<const std::uint8_t> frame);

  /// Sends `frames` in order, `rounds` times over (keepalived's garp_master_repeat), on
  /// `ifindex`. With `gap` > 0, waits `gap` between consecutive frames on a steady_timer
  /// (keepalived's vrrp_garp_interval / vrrp_gna_interval); with `gap` == 0, all frames leave
  /// at once.
  ///
  /// Timing contract: the first frame leaves synchronously, *inside this call*, before the
  /// awaitable is returned (and with `gap` == 0 every frame does): a master's first GARP must
  /// follow its transition within 1 ms, so it may not wait for the coroutine to be scheduled.
  /// The returned awaitable sends the rest; co_await it or co_spawn it. A caller that drops it
  /// unawaited has still sent the first frame.
  ///
  /// Cancellation: a per-operation cancellation of the awaitable (e.g. co_spawn with
  /// bind_cancellation_slot, when the instance leaves MASTER) ends it quietly during a gap.
  /// A delayed second burst (garp_master_delay) is a second call by the caller, later.
  /// Spacing applies within one burst: two bursts on one interface are not interleaved apart.
  boost::asio::awaitable<void> burst(int ifindex, std::vector<std::vector<std::uint8_t>> frames,
                                     std::uint32_t rounds, std::chrono::microseconds gap);

  /// Closes the socket of `ifindex` (the interface was removed). A later send reopens it.
  void forget(int ifindex);

  std::uint64_t frames_sent() const { return frames_sent_; } ///< accepted by the kernel
  std::uint64_t send_errors() const { return send_errors_; } ///< failed sends and opens

private:
  int socket_for(int ifindex); ///< the bound socket, or -1 (logged and counted)
  void close_all();

  boost::asio::io_context& ctx_;
  spdlog::logger& log_;
  std::map<int, int> sockets_; ///< ifindex -> file descriptor
  std::uint64_t frames_sent_ = 0;
  std::uint64_t send_errors_ = 0;
  /// Points at *this while it lives; bursts hold a weak_ptr and stop once it expires.
  std::shared_ptr<Announcer*> self_;
};

} // namespace vigil::vrrp::io
