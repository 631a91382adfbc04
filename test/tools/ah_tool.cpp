// ah_tool: sends and receives VRRPv2 adverts with AH authentication built by vigil
// (vrrp::ah::seal / vrrp::ah::open over a vrrp::io::VrrpSocket in Transport::ah mode), so that
// netns tests can check what keepalived makes of vigil's packets and what vigil makes of
// keepalived's (test/netns/test_ah_codec.py).
//
//   ah_tool send --ifname IF --src ADDR --dst ADDR --vrid N --priority P --vip ADDR [--vip ...]
//                --key PASS [--advert-int S] [--ttl T] [--count N] [--gap-ms MS]
//                [--seq-start S] [--repeat-seq] [--dry-run]
//     Sends an advert every --gap-ms (default 1000) until --count adverts (default 0: until
//     SIGTERM/SIGINT). The first advert carries sequence number --seq-start (default 1) and IP
//     id 1, later ones count up (--repeat-seq: every advert repeats --seq-start, a replay).
//     TTL defaults to 255. Prints "sent seq=S ip_id=I hex=PACKET" per advert and "sent=N
//     errors=E" at the end; exit status 0 when every advert left, 1 otherwise. --dry-run builds
//     and prints the packets without opening a socket.
//
//   ah_tool listen --ifname IF --key PASS [--join GROUP] [--count N] [--timeout-ms MS] [--hex]
//     Receives AH packets on IF (joining GROUP, default 224.0.0.18) and checks each with the
//     key, printing one line per packet:
//       accepted src=A dst=D spi=0x... seq=S ip_id=I ttl=T vrid=V priority=P [hex=...]
//       dropped src=A reason=R seq=S [hex=...]
//     and "received=N accepted=A dropped=D" when --count packets arrived, after --timeout-ms
//     (default 0: none), or on SIGTERM/SIGINT. Exit status 0.
//
// The key is used as given (keepalived truncates auth_pass to 8 characters; pass at most 8).
// Exit status 2 on a usage or lookup error.
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <net/if.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/ip.hpp"
#include "vrrp/ah.hpp"
#include "vrrp/io/socket.hpp"
#include "vrrp/packet.hpp"

using namespace vigil;
namespace asio = boost::asio;
namespace ah = vigil::vrrp::ah;

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "ah_tool: %s\nusage: ah_tool send --ifname IF --src ADDR --dst ADDR --vrid N "
               "--priority P --vip ADDR [--vip ADDR ...] --key PASS [--advert-int S] [--ttl T] "
               "[--count N] [--gap-ms MS] [--seq-start S] [--repeat-seq] [--dry-run]\n"
               "       ah_tool listen --ifname IF --key PASS [--join GROUP] [--count N] "
               "[--timeout-ms MS] [--hex]\n",
               why);
  return 2;
}

std::string to_hex(std::span<const std::uint8_t> data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : data) {
    out += digits[b >> 4];
    out += digits[b & 0x0f];
  }
  return out;
}

struct Options {
  std::string mode;
  std::string ifname;
  std::optional<core::IpAddress> src, dst;
  core::IpAddress group = *core::IpAddress::parse("224.0.0.18");
  std::vector<core::IpAddress> vips;
  std::string key;
  bool have_key = false;
  unsigned long vrid = 0, priority = 0, advert_int = 1, ttl = 255, count = 0, gap_ms = 1000;
  unsigned long timeout_ms = 0, seq_start = 1;
  bool repeat_seq = false, hex = false, dry_run = false;
};

/// Parses the command line; returns an exit status for usage errors.
std::optional<int> parse(int argc, char** argv, Options& o) {
  if (argc < 2)
    return usage("missing mode (send or listen)");
  o.mode = argv[1];
  if (o.mode != "send" && o.mode != "listen")
    return usage("unknown mode");
  try {
    for (int i = 2; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--repeat-seq") {
        o.repeat_seq = true;
        continue;
      }
      if (arg == "--hex") {
        o.hex = true;
        continue;
      }
      if (arg == "--dry-run") {
        o.dry_run = true;
        continue;
      }
      if (i + 1 >= argc)
        return usage("missing value or unknown option");
      std::string value = argv[++i];
      auto address = [&](const char* what) -> std::optional<core::IpAddress> {
        auto a = core::IpAddress::parse(value);
        if (!a || !a->is_v4())
          std::fprintf(stderr, "ah_tool: bad %s address %s\n", what, value.c_str());
        return a && a->is_v4() ? a : std::nullopt;
      };
      if (arg == "--ifname") {
        o.ifname = value;
      } else if (arg == "--src") {
        if (!(o.src = address("--src")))
          return 2;
      } else if (arg == "--dst") {
        if (!(o.dst = address("--dst")))
          return 2;
      } else if (arg == "--join") {
        auto g = address("--join");
        if (!g)
          return 2;
        o.group = *g;
      } else if (arg == "--vip") {
        auto v = address("--vip");
        if (!v)
          return 2;
        o.vips.push_back(*v);
      } else if (arg == "--key") {
        o.key = value;
        o.have_key = true;
      } else if (arg == "--vrid") {
        o.vrid = std::stoul(value);
      } else if (arg == "--priority") {
        o.priority = std::stoul(value);
      } else if (arg == "--advert-int") {
        o.advert_int = std::stoul(value);
      } else if (arg == "--ttl") {
        o.ttl = std::stoul(value);
      } else if (arg == "--count") {
        o.count = std::stoul(value);
      } else if (arg == "--gap-ms") {
        o.gap_ms = std::stoul(value);
      } else if (arg == "--timeout-ms") {
        o.timeout_ms = std::stoul(value);
      } else if (arg == "--seq-start") {
        o.seq_start = std::stoul(value);
      } else {
        return usage("unknown option");
      }
    }
  } catch (const std::exception&) {
    return usage("bad number");
  }
  if (o.ifname.empty() || !o.have_key)
    return usage("--ifname and --key are required");
  if (o.mode == "send" &&
      (!o.src || !o.dst || o.vips.empty() || o.vrid < 1 || o.vrid > 255 || o.priority > 255 ||
       o.advert_int < 1 || o.advert_int > 255 || o.ttl > 255 || o.seq_start > 0xffffffffUL))
    return usage("send needs --src, --dst, --vrid 1..255, --priority 0..255 and --vip");
  return std::nullopt;
}

std::span<const std::uint8_t> key_bytes(const std::string& key) {
  return {reinterpret_cast<const std::uint8_t*>(key.data()), key.size()};
}

int run_send(const Options& o, int ifindex, spdlog::logger& log) {
  vrrp::Advert a;
  a.version = 2;
  a.vrid = std::uint8_t(o.vrid);
  a.priority = std::uint8_t(o.priority);
  a.interval = std::uint16_t(o.advert_int);
  a.auth = vrrp::Auth::ah; // authentication data stays zero: the key never goes on the wire
  a.addresses = o.vips;
  auto message = vrrp::encode(a, *o.src, *o.dst);

  asio::io_context ctx{1};
  std::optional<vrrp::io::VrrpSocket> sock;
  if (!o.dry_run) {
    sock.emplace(ctx, log, ifindex, o.ifname, core::Family::inet, vrrp::io::Transport::ah);
    sock->discard_input();
  }
  ah::Sequence seq;
  // The counter holds the last number used: start one below --seq-start.
  if (o.seq_start > 0)
    seq.accept(std::uint32_t(o.seq_start - 1));
  ah::IpId ip_id;
  unsigned long sent = 0;
  asio::steady_timer timer(ctx);
  asio::signal_set signals(ctx, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec)
      ctx.stop();
  });
  std::function<void()> tick = [&] {
    std::uint32_t s = o.repeat_seq ? std::uint32_t(o.seq_start) : seq.next();
    std::uint16_t id = ip_id.next();
    auto packet = ah::seal(*o.src, *o.dst, id, std::uint8_t(o.ttl), ah::spi_for(*o.src), s, message,
                           key_bytes(o.key));
    if (sock)
      sock->send_raw(packet, *o.dst);
    std::printf("sent seq=%u ip_id=%u hex=%s\n", unsigned(s), unsigned(id), to_hex(packet).c_str());
    std::fflush(stdout);
    if (o.count != 0 && ++sent >= o.count) {
      ctx.stop();
      return;
    }
    timer.expires_after(std::chrono::milliseconds(o.gap_ms));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec)
        tick();
    });
  };
  tick();
  ctx.run();
  std::uint64_t ok = sock ? sock->sent() : 0;
  std::uint64_t errors = sock ? sock->send_errors() : 0;
  std::printf("sent=%llu errors=%llu\n", static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(errors));
  return errors == 0 ? 0 : 1;
}

int run_listen(const Options& o, int ifindex, spdlog::logger& log) {
  asio::io_context ctx{1};
  vrrp::io::VrrpSocket sock(ctx, log, ifindex, o.ifname, core::Family::inet,
                            vrrp::io::Transport::ah);
  sock.join(o.group);
  unsigned long received = 0, accepted = 0, dropped = 0;
  sock.start([&](const vrrp::io::Packet& p) {
    ++received;
    auto opened = ah::open(p.ip_packet, key_bytes(o.key));
    std::string tail = o.hex ? " hex=" + to_hex(p.ip_packet) : std::string();
    if (opened.ok()) {
      auto d = vrrp::decode(opened.message, opened.src, opened.dst);
      ++accepted;
      std::printf("accepted src=%s dst=%s spi=0x%08x seq=%u ip_id=%u ttl=%u vrid=%u priority=%u "
                  "vrrp=%s%s\n",
                  opened.src.to_string().c_str(), opened.dst.to_string().c_str(),
                  unsigned(opened.spi), unsigned(opened.seq), unsigned(opened.ip_id),
                  unsigned(opened.ttl), unsigned(d.advert.vrid), unsigned(d.advert.priority),
                  std::string(vrrp::to_string(d.drop)).c_str(), tail.c_str());
    } else {
      ++dropped;
      std::printf("dropped src=%s reason=%s seq=%u%s\n", p.src.to_string().c_str(),
                  std::string(ah::to_string(opened.reason)).c_str(), unsigned(opened.seq),
                  tail.c_str());
    }
    std::fflush(stdout);
    if (o.count != 0 && received >= o.count)
      ctx.stop();
  });
  asio::signal_set signals(ctx, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec)
      ctx.stop();
  });
  asio::steady_timer timer(ctx);
  if (o.timeout_ms != 0) {
    timer.expires_after(std::chrono::milliseconds(o.timeout_ms));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec)
        ctx.stop();
    });
  }
  std::printf("listening on %s\n", o.ifname.c_str());
  std::fflush(stdout);
  ctx.run();
  std::printf("received=%lu accepted=%lu dropped=%lu\n", received, accepted, dropped);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  if (auto status = parse(argc, argv, o))
    return *status;
  int ifindex = int(::if_nametoindex(o.ifname.c_str()));
  if (ifindex == 0)
    return usage("no such interface");
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
  spdlog::logger log("vrrp", sink);
  try {
    return o.mode == "send" ? run_send(o, ifindex, log) : run_listen(o, ifindex, log);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ah_tool: %s\n", e.what());
    return 2;
  }
}
