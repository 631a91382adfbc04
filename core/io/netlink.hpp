#pragma once
// The one netlink layer of vigil (libmnl on the single io_context). Used by VRRP (rtnetlink
// addresses, routes, links) and IPVS (generic netlink). Requests are asynchronous: the kernel's
// acknowledgement or error (with its extended-ack message) comes back to a callback or an
// awaiting coroutine; nothing blocks the event loop.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/io/fd.hpp"

struct nlmsghdr;
namespace boost::asio {
class io_context;
}

namespace vigil::core::io {

/// A failed netlink request: the errno and the kernel's reason (strerror plus extended ack).
struct NetlinkError {
  int code = 0;
  std::string message;
};

/// Builds one netlink message (libmnl underneath).
class Message {
public:
  Message(std::uint16_t type, std::uint16_t flags);
  /// Reserves the fixed family header (ifaddrmsg, rtmsg, genlmsghdr, ...) after nlmsghdr.
  void* extra(std::size_t size);
  template <class T> T* extra() { return static_cast<T*>(extra(sizeof(T))); }
  void put(std::uint16_t type, const void* data, std::size_t len);
  void put_u8(std::uint16_t type, std::uint8_t v);
  void put_u16(std::uint16_t type, std::uint16_t v);
  void put_u32(std::uint16_t type, std::uint32_t v);
  void put_strz(std::uint16_t type, const std::string& s);
  /// Starts a nested attribute; returns a token for end_nest.
  void* begin_nest(std::uint16_t type);
  void end_nest(void* nest);
  nlmsghdr* header();
  /// The finished message bytes.
  std::vector<std::uint8_t> take();

private:
  std::vector<std::uint8_t> buf_;
};

/// One netlink socket. Not copyable; lives as long as the subsystem that owns it.
class NetlinkSocket {
public:
  using ReplyHandler = std::function<void(const nlmsghdr&)>;
  using DoneHandler = std::function<void(const NetlinkError*)>; ///< nullptr: success

  /// Opens a socket of `protocol` (NETLINK_ROUTE, NETLINK_GENERIC). Throws std::system_error.
  NetlinkSocket(boost::asio::io_context& ctx, int protocol);
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  /// Subscribes to a multicast group (RTNLGRP_LINK, ...). Throws std::system_error.
  void join(unsigned group);
  /// Starts receiving; notifications (messages that answer no request) go to `handler`.
  /// `on_overrun` runs when the kernel dropped messages (ENOBUFS): state must be re-read.
  void start(ReplyHandler notification, std::function<void()> on_overrun = {});

  /// Sends `msg` with NLM_F_REQUEST and NLM_F_ACK added and a fresh sequence number. Dump
  /// replies go to `on_reply`; `on_done` runs once with the final result. Never blocks; a send
  /// failure is reported through `on_done` before this returns.
  void request(std::vector<std::uint8_t> msg, ReplyHandler on_reply, DoneHandler on_done);

  /// The same as a coroutine: completes with nullopt on success.
  boost::asio::awaitable<std::optional<NetlinkError>> call(std::vector<std::uint8_t> msg,
                                                           ReplyHandler on_reply = {});

  /// Called for each refused message of a batch: its index in the batch and the kernel's reason.
  using RefusedHandler = std::function<void(std::size_t, const NetlinkError&)>;

  /// Sends the requests laid out back to back in `datagram` (each NLMSG_ALIGNed, its nlmsg_len
  /// set; requests that answer with an acknowledgement only: adds, edits, deletes) in one
  /// datagram, which the kernel handles in order. Each gets a sequence number and
  /// NLM_F_REQUEST; only the last asks for an acknowledgement, since the kernel answers every
  /// refused request anyway: one answer for the batch instead of one per message.
  /// `on_refused` runs for each refused message (its index in the batch); `on_done` runs once
  /// the last message was answered (nullptr), or with the reason the batch's answers are unknown
  /// (the send failed: nothing was applied; the receive buffer overran: answers may be lost; a
  /// length that runs past the datagram: nothing was sent).
  void request_batch(std::vector<std::uint8_t> datagram, RefusedHandler on_refused,
                     DoneHandler on_done);

  /// The same as a coroutine.
  boost::asio::awaitable<std::optional<NetlinkError>> call_batch(std::vector<std::uint8_t> datagram,
                                                                 RefusedHandler on_refused);

  /// Requests still waiting for the kernel's answer.
  std::size_t pending() const { return pending_.size() + batches_.size(); }
  std::uint32_t port_id() const { return port_id_; }

private:
  struct Pending {
    ReplyHandler on_reply;
    DoneHandler on_done;
  };
  struct Batch {
    std::uint32_t first = 0; ///< sequence number of its first message (the key is the last's)
    RefusedHandler on_refused;
    DoneHandler on_done;
  };
  void on_readable();
  void dispatch(const std::uint8_t* data, std::size_t len);
  void finish(std::uint32_t seq, const NetlinkError* err);
  /// A batch's answer: true when `seq` belongs to a batch in flight.
  bool batch_answer(std::uint32_t seq, const NetlinkError* err);
  void lose_batches(const NetlinkError& why);
  /// Runs `start` with a completion handler and waits for it.
  boost::asio::awaitable<std::optional<NetlinkError>>
  until_done(const std::function<void(DoneHandler)>& start);
  /// One datagram to the kernel; the reason when it could not be sent.
  std::optional<NetlinkError> send(const std::vector<std::uint8_t>& bytes);
  /// `count` consecutive sequence numbers, none of them 0; returns the first.
  std::uint32_t take_seqs(std::uint32_t count);

  boost::asio::io_context& ctx_;
  std::unique_ptr<Fd> fd_;
  std::uint32_t port_id_ = 0;
  std::uint32_t next_seq_;
  std::map<std::uint32_t, Pending> pending_;
  std::map<std::uint32_t, Batch> batches_; ///< by the sequence number of the last message
  ReplyHandler notification_;
  std::function<void()> on_overrun_;
  std::vector<std::uint8_t> rx_;
};

/// strerror() for an errno value.
std::string errno_text(int code);

} // namespace vigil::core::io
