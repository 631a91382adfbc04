#include "core/io/netlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::core::io {
namespace {

namespace asio = boost::asio;

constexpr std::size_t message_capacity = 16384;
constexpr std::size_t receive_buffer = 1 << 16;
constexpr int socket_receive_buffer = 4 << 20; // survives bursts of link/address events

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// The extended ack message (NLMSGERR_ATTR_MSG) of an error reply, if any.
std::string extack_message(const nlmsghdr* nlh) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
    return {};
  auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  std::size_t offset = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
    offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  std::string msg;
  const auto* base = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
  std::size_t payload = mnl_nlmsg_get_payload_len(nlh);
  if (offset >= payload)
    return {};
  const auto* attr = reinterpret_cast<const nlattr*>(base + offset);
  std::size_t left = payload - offset;
  while (left >= sizeof(nlattr) && attr->nla_len >= sizeof(nlattr) && attr->nla_len <= left) {
    if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(attr) + NLA_HDRLEN;
      msg.assign(text, strnlen(text, attr->nla_len - NLA_HDRLEN));
    }
    std::size_t step = NLA_ALIGN(attr->nla_len);
    if (step > left)
      break;
    left -= step;
    attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(attr) + step);
  }
  return msg;
}

} // namespace

std::string errno_text(int code) {
  char buf[128];
  // GNU strerror_r returns the message pointer.
  return ::strerror_r(code, buf, sizeof buf);
}

// --- Message -----------------------------------------------------------------------------------

Message::Message(std::uint16_t type, std::uint16_t flags) : buf_(message_capacity, 0) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
}

nlmsghdr* Message::header() {
  return reinterpret_cast<nlmsghdr*>(buf_.data());
}

void* Message::extra(std::size_t size) {
  return mnl_nlmsg_put_extra_header(header(), size);
}

void Message::put(std::uint16_t type, const void* data, std::size_t len) {
  if (!mnl_attr_put_check(header(), buf_.size(), type, len, data))
    throw std::length_error("netlink message too large");
}

void Message::put_u8(std::uint16_t type, std::uint8_t v) {
  put(type, &v, sizeof v);
}
void Message::put_u16(std::uint16_t type, std::uint16_t v) {
  put(type, &v, sizeof v);
}
void Message::put_u32(std::uint16_t type, std::uint32_t v) {
  put(type, &v, sizeof v);
}
void Message::put_strz(std::uint16_t type, const std::string& s) {
  put(type, s.c_str(), s.size() + 1);
}

void* Message::begin_nest(std::uint16_t type) {
  void* n = mnl_attr_nest_start_check(header(), buf_.size(), type);
  if (!n)
    throw std::length_error("netlink message too large");
  return n;
}

void Message::end_nest(void* nest) {
  mnl_attr_nest_end(header(), static_cast<nlattr*>(nest));
}

std::vector<std::uint8_t> Message::take() {
  buf_.resize(header()->nlmsg_len);
  return std::move(buf_);
}

// --- NetlinkSocket -----------------------------------------------------------------------------

NetlinkSocket::NetlinkSocket(asio::io_context& ctx, int protocol)
    : ctx_(ctx), next_seq_(static_cast<std::uint32_t>(::time(nullptr))), rx_(receive_buffer) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0)
    throw_errno("netlink socket");
  int one = 1;
  // Best effort: older kernels lack extended acks; errors then carry only the errno.
  ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  int size = socket_receive_buffer;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    throw_errno("netlink bind");
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  port_id_ = sa.nl_pid;
  fd_ = std::make_unique<Fd>(ctx, fd);
}

NetlinkSocket::~NetlinkSocket() = default;

void NetlinkSocket::join(unsigned group) {
  int g = static_cast<int>(group);
  if (::setsockopt(fd_->get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) != 0)
    throw_errno("netlink join group");
}

void NetlinkSocket::start(ReplyHandler notification, std::function<void()> on_overrun) {
  notification_ = std::move(notification);
  on_overrun_ = std::move(on_overrun);
  fd_->on_readable([this] { on_readable(); });
}

void NetlinkSocket::on_readable() {
  // Drain everything that is queued; each recv is one datagram with one or more messages.
  for (;;) {
    ssize_t n = ::recv(fd_->get(), rx_.data(), rx_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == ENOBUFS) {
        // The kernel dropped answers: a batch's refusals may be among them.
        lose_batches({ENOBUFS, "answers lost: the netlink receive buffer overran"});
        if (on_overrun_)
          on_overrun_();
        continue;
      }
      return; // EAGAIN: drained
    }
    if (n == 0)
      return;
    auto alive = fd_->alive();
    dispatch(rx_.data(), std::size_t(n));
    if (!*alive)
      return;
  }
}

void NetlinkSocket::dispatch(const std::uint8_t* data, std::size_t len) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(data);
  int left = static_cast<int>(len);
  while (mnl_nlmsg_ok(nlh, left)) {
    bool ours =
        nlh->nlmsg_pid == port_id_ && nlh->nlmsg_seq != 0 && pending_.count(nlh->nlmsg_seq) != 0;
    if (!ours && nlh->nlmsg_pid == port_id_ && nlh->nlmsg_seq != 0 &&
        nlh->nlmsg_type == NLMSG_ERROR && !batches_.empty()) {
      auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      std::optional<NetlinkError> e;
      if (err->error != 0) {
        e = NetlinkError{-err->error, errno_text(-err->error)};
        std::string ext = extack_message(nlh);
        if (!ext.empty())
          e->message += " (" + ext + ")";
      }
      if (batch_answer(nlh->nlmsg_seq, e ? &*e : nullptr)) {
        nlh = mnl_nlmsg_next(nlh, &left);
        continue;
      }
    }
    if (!ours) {
      if (notification_ && nlh->nlmsg_type >= NLMSG_MIN_TYPE)
        notification_(*nlh);
    } else if (nlh->nlmsg_type == NLMSG_ERROR) {
      auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error == 0) {
        finish(nlh->nlmsg_seq, nullptr);
      } else {
        NetlinkError e{-err->error, errno_text(-err->error)};
        std::string ext = extack_message(nlh);
        if (!ext.empty())
          e.message += " (" + ext + ")";
        finish(nlh->nlmsg_seq, &e);
      }
    } else if (nlh->nlmsg_type == NLMSG_DONE) {
      finish(nlh->nlmsg_seq, nullptr);
    } else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
      auto& p = pending_[nlh->nlmsg_seq];
      if (p.on_reply)
        p.on_reply(*nlh);
    }
    nlh = mnl_nlmsg_next(nlh, &left);
  }
}

void NetlinkSocket::finish(std::uint32_t seq, const NetlinkError* err) {
  auto it = pending_.find(seq);
  if (it == pending_.end())
    return;
  DoneHandler done = std::move(it->second.on_done);
  pending_.erase(it);
  if (done)
    done(err);
}

std::optional<NetlinkError> NetlinkSocket::send(const std::vector<std::uint8_t>& bytes) {
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = ::sendto(fd_->get(), bytes.data(), bytes.size(), MSG_DONTWAIT,
                 reinterpret_cast<sockaddr*>(&to), sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return NetlinkError{errno, "netlink send: " + errno_text(errno)};
  return std::nullopt;
}

std::uint32_t NetlinkSocket::take_seqs(std::uint32_t count) {
  // A range never wraps through 0 (0 marks kernel notifications), so batches compare by order.
  if (next_seq_ > UINT32_MAX - count - 1)
    next_seq_ = 0;
  std::uint32_t first = next_seq_ + 1;
  next_seq_ += count;
  return first;
}

bool NetlinkSocket::batch_answer(std::uint32_t seq, const NetlinkError* err) {
  auto it = batches_.lower_bound(seq);
  if (it == batches_.end() || seq < it->second.first)
    return false;
  if (err && it->second.on_refused)
    it->second.on_refused(seq - it->second.first, *err);
  if (seq == it->first) { // the last message's answer: every earlier one came before it
    DoneHandler done = std::move(it->second.on_done);
    batches_.erase(it);
    if (done)
      done(nullptr);
  }
  return true;
}

void NetlinkSocket::lose_batches(const NetlinkError& why) {
  auto lost = std::move(batches_);
  batches_.clear();
  for (auto& [seq, b] : lost)
    if (b.on_done)
      b.on_done(&why);
}

void NetlinkSocket::request_batch(std::vector<std::uint8_t> datagram, RefusedHandler on_refused,
                                  DoneHandler on_done) {
  // The messages, where each starts (walked by their lengths).
  std::vector<std::size_t> starts;
  for (std::size_t at = 0; at < datagram.size();) {
    std::uint32_t len = 0;
    if (at + sizeof(nlmsghdr) <= datagram.size())
      std::memcpy(&len, datagram.data() + at, sizeof len);
    if (len < sizeof(nlmsghdr) || at + len > datagram.size()) {
      // (a caller's bug: nothing is sent rather than part of the batch)
      const NetlinkError bad{EINVAL, "malformed netlink batch: a message's length runs past it"};
      if (on_done)
        on_done(&bad);
      return;
    }
    starts.push_back(at);
    at += NLMSG_ALIGN(len);
  }
  if (starts.empty()) {
    if (on_done)
      on_done(nullptr);
    return;
  }
  const std::uint32_t first = take_seqs(static_cast<std::uint32_t>(starts.size()));
  for (std::size_t i = 0; i < starts.size(); ++i) {
    auto* nlh = reinterpret_cast<nlmsghdr*>(datagram.data() + starts[i]);
    nlh->nlmsg_seq = first + static_cast<std::uint32_t>(i);
    nlh->nlmsg_flags |= NLM_F_REQUEST;
    if (i + 1 == starts.size())
      nlh->nlmsg_flags |= NLM_F_ACK;
    else
      nlh->nlmsg_flags &= ~NLM_F_ACK;
  }
  if (auto e = send(datagram)) {
    if (on_done)
      on_done(&*e);
    return;
  }
  const std::uint32_t last = first + static_cast<std::uint32_t>(starts.size() - 1);
  batches_[last] = Batch{first, std::move(on_refused), std::move(on_done)};
}

asio::awaitable<std::optional<NetlinkError>>
NetlinkSocket::call_batch(std::vector<std::uint8_t> datagram, RefusedHandler on_refused) {
  co_return co_await until_done([&](DoneHandler done) {
    request_batch(std::move(datagram), std::move(on_refused), std::move(done));
  });
}

void NetlinkSocket::request(std::vector<std::uint8_t> msg, ReplyHandler on_reply,
                            DoneHandler on_done) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(msg.data());
  std::uint32_t seq = take_seqs(1);
  nlh->nlmsg_seq = seq;
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (auto e = send(msg)) {
    if (on_done)
      on_done(&*e);
    return;
  }
  pending_[seq] = Pending{std::move(on_reply), std::move(on_done)};
}

asio::awaitable<std::optional<NetlinkError>>
NetlinkSocket::until_done(const std::function<void(DoneHandler)>& start) {
  // Park on a timer that never expires; the completion cancels it.
  auto timer = std::make_shared<asio::steady_timer>(ctx_, asio::steady_timer::time_point::max());
  auto result = std::make_shared<std::optional<std::optional<NetlinkError>>>();
  start([timer, result](const NetlinkError* e) {
    if (e)
      result->emplace(*e);
    else
      result->emplace(std::nullopt); // done, no error
    timer->cancel();
  });
  if (!result->has_value())
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  if (!result->has_value())
    co_return NetlinkError{ECANCELED, "netlink request abandoned"};
  co_return **result;
}

asio::awaitable<std::optional<NetlinkError>> NetlinkSocket::call(std::vector<std::uint8_t> msg,
                                                                 ReplyHandler on_reply) {
  co_return co_await until_done(
      [&](DoneHandler done) { request(std::move(msg), std::move(on_reply), std::move(done)); });
}

} // namespace vigil::core::io
