#include "check/io/icmp.hpp"

#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include <boost/asio/steady_timer.hpp>

#include "check/io/detail.hpp"
#include "core/io/fd.hpp"

namespace vigil::check::io {

struct IcmpEngine::Waiter {
  explicit Waiter(asio::io_context& ctx) : timer(ctx, asio::steady_timer::time_point::max()) {}
  core::IpAddress to;
  asio::steady_timer timer;
  bool answered = false;
  std::optional<std::string> error;
};

namespace {

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += std::uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1)
    sum += std::uint32_t(p[n - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return std::uint16_t(~sum);
}

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::uint16_t get16(const std::uint8_t* p) {
  return std::uint16_t(p[0] << 8 | p[1]);
}

} // namespace

IcmpEngine::IcmpEngine(asio::io_context& ctx, core::Family family,
                       const core::config::Checker* options)
    : ctx_(ctx), family_(family), ident_(std::uint16_t(std::random_device{}())) {
  bool v4 = family == core::Family::inet;
  int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    v4 ? int(IPPROTO_ICMP) : int(IPPROTO_ICMPV6));
  if (fd < 0)
    fail(v4 ? "raw ICMP socket" : "raw ICMPv6 socket");
  fd_ = std::make_unique<core::io::Fd>(ctx, fd);
  // Only what answers an echo: replies and the errors that quote a request.
  if (v4) {
    icmp_filter f{};
    f.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) | (1u << ICMP_TIME_EXCEEDED));
    if (::setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f) != 0)
      fail("ICMP_FILTER");
  } else {
    icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
    if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f) != 0)
      fail("ICMP6_FILTER");
  }
  if (options) {
    if (options->fwmark) {
      int mark = int(*options->fwmark);
      if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)
        fail("SO_MARK");
    }
    if (options->bind_if && ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, options->bind_if->c_str(),
                                         socklen_t(options->bind_if->size())) != 0)
      fail("SO_BINDTODEVICE " + *options->bind_if);
    if (options->bindto) {
      sockaddr_storage ss{};
      socklen_t len = 0;
      if (v4) {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        std::memcpy(&a->sin_addr, options->bindto->data(), 4);
        len = sizeof *a;
      } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        std::memcpy(&a->sin6_addr, options->bindto->data(), 16);
        len = sizeof *a;
      }
      if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0)
        fail("bind to " + options->bindto->to_string());
    }
  }
  fd_->on_readable([this] { on_readable(); });
}

IcmpEngine::~IcmpEngine() {
  for (auto& [seq, w] : waiting_) {
    w->error = "the ICMP socket closed";
    w->timer.cancel();
  }
}

asio::awaitable<std::optional<std::string>> IcmpEngine::echo(const core::IpAddress& to,
                                                             unsigned scope) {
  bool v4 = family_ == core::Family::inet;
  std::uint16_t seq = next_seq_++;
  while (waiting_.count(seq))
    seq = next_seq_++;
  std::array<std::uint8_t, 16> msg{};
  msg[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
  msg[4] = std::uint8_t(ident_ >> 8);
  msg[5] = std::uint8_t(ident_);
  msg[6] = std::uint8_t(seq >> 8);
  msg[7] = std::uint8_t(seq);
  std::memcpy(msg.data() + 8, "vigil-ping-chk", 8);
  if (v4) {
    auto sum = checksum(msg.data(), msg.size());
    msg[2] = std::uint8_t(sum >> 8);
    msg[3] = std::uint8_t(sum);
  } // ICMPv6: the kernel computes the checksum over the pseudo-header
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v4) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    std::memcpy(&a->sin_addr, to.data(), 4);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    std::memcpy(&a->sin6_addr, to.data(), 16);
    a->sin6_scope_id = scope;
    len = sizeof *a;
  }
  if (::sendto(fd_->get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0)
    co_return "cannot send the echo request: " + std::string(std::strerror(errno));
  Waiter w(ctx_);
  w.to = to;
  waiting_[seq] = &w;
  struct Leave {
    std::map<std::uint16_t, Waiter*>& m;
    std::uint16_t seq;
    ~Leave() { m.erase(seq); }
  } leave{waiting_, seq};
  co_await w.timer.async_wait(as_value);
  if (w.answered)
    co_return std::nullopt;
  co_return w.error.value_or("no echo reply");
}

void IcmpEngine::on_readable() {
  bool v4 = family_ == core::Family::inet;
  std::array<std::uint8_t, 2048> buf;
  for (int budget = 0; budget < 256; ++budget) {
    sockaddr_storage from{};
    socklen_t flen = sizeof from;
    ssize_t n = ::recvfrom(fd_->get(), buf.data(), buf.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &flen);
    if (n < 0)
      return;
    const std::uint8_t* p = buf.data();
    std::size_t len = std::size_t(n);
    if (v4) { // raw IPv4 sockets deliver the IP header
      if (len < 20)
        continue;
      std::size_t ihl = std::size_t(p[0] & 0x0f) * 4;
      if (len < ihl + 8)
        continue;
      p += ihl;
      len -= ihl;
    } else if (len < 8) {
      continue;
    }
    std::uint8_t type = p[0];
    bool reply = v4 ? type == ICMP_ECHOREPLY : type == ICMP6_ECHO_REPLY;
    const std::uint8_t* echo = p; // the echo header whose id/seq we match
    std::optional<std::string> error;
    if (!reply) {
      // An error quotes the offending packet: IP header, then our echo request.
      const std::uint8_t* inner = p + 8;
      std::size_t inner_len = len - 8;
      if (v4) {
        if (inner_len < 20)
          continue;
        std::size_t ihl = std::size_t(inner[0] & 0x0f) * 4;
        if (inner_len < ihl + 8 || inner[9] != IPPROTO_ICMP)
          continue;
        echo = inner + ihl;
      } else {
        if (inner_len < 40 + 8 || inner[6] != IPPROTO_ICMPV6)
          continue;
        echo = inner + 40;
      }
      if (echo[0] != (v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST))
        continue;
      bool unreach = v4 ? type == ICMP_DEST_UNREACH : type == ICMP6_DST_UNREACH;
      error = unreach ? "destination unreachable" : "time exceeded";
    }
    if (get16(echo + 4) != ident_)
      continue;
    auto it = waiting_.find(get16(echo + 6));
    if (it == waiting_.end())
      continue;
    Waiter& w = *it->second;
    if (reply) {
      // The reply must come from the address pinged.
      const std::uint8_t* src = v4 ? reinterpret_cast<const std::uint8_t*>(
                                         &reinterpret_cast<sockaddr_in*>(&from)->sin_addr)
                                   : reinterpret_cast<const std::uint8_t*>(
                                         &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr);
      if (std::memcmp(src, w.to.data(), w.to.size()) != 0)
        continue;
      w.answered = true;
    } else {
      w.error = error;
    }
    waiting_.erase(it);
    w.timer.cancel();
  }
}

asio::awaitable<ProbeResult> ping_probe(Prober::Impl& p, const core::config::Checker& k,
                                        const Target& t, Progress& progress) {
  ProbeResult r;
  bool v4 = t.address.is_v4();
  unsigned scope = 0;
  if (k.bind_if) {
    std::string why;
    scope = detail::interface_index(*k.bind_if, why);
    if (scope == 0) {
      r.reason = why;
      co_return r;
    }
  }
  std::unique_ptr<IcmpEngine> own;
  IcmpEngine* engine = nullptr;
  try {
    if (k.bindto || k.bind_if || k.fwmark) {
      own = std::make_unique<IcmpEngine>(p.ctx, t.address.family(), &k);
      engine = own.get();
    } else {
      auto& shared = v4 ? p.icmp4 : p.icmp6;
      if (!shared)
        shared = std::make_unique<IcmpEngine>(p.ctx, t.address.family());
      engine = shared.get();
    }
  } catch (const std::exception& e) {
    r.reason = e.what();
    co_return r;
  }
  progress.phase = "the echo reply";
  auto why = co_await engine->echo(t.address, t.address.is_link_local() ? scope : 0);
  if (why) {
    r.reason = *why;
    co_return r;
  }
  r.ok = true;
  r.reason = "echo reply";
  co_return r;
}

} // namespace vigil::check::io
