// announce_tool: sends vigil-built gratuitous ARPs / unsolicited NAs on an interface, through
// vrrp::io::Announcer on a small io_context, so that netns tests can check what Linux makes
// of them (test/netns/test_announce.py).
//
//   announce_tool --ifname IF --vip ADDR [--vip ADDR ...] [--mac aa:bb:cc:dd:ee:ff] [--router]
//                 [--rounds N] [--gap-ms MS]
//
// IPv4 VIPs get a GARP, IPv6 VIPs an NA from the interface's link-local address. The source
// MAC defaults to the interface's. Prints one line
//   sent=N errors=E first_sync=0|1 elapsed_us=T
// (first_sync: the first frame had left when burst() returned). Exit status 0 when every
// frame was sent, 1 when some failed, 2 on a usage or lookup error.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/ip.hpp"
#include "vrrp/announce.hpp"
#include "vrrp/io/announcer.hpp"

using namespace vigil;

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "announce_tool: %s\nusage: announce_tool --ifname IF --vip ADDR [--vip ADDR ...] "
               "[--mac MAC] [--router] [--rounds N] [--gap-ms MS]\n",
               why);
  return 2;
}

bool parse_mac(std::string_view text, vrrp::Mac& out) {
  unsigned b[6];
  char tail = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != 6)
    return false;
  for (int i = 0; i < 6; ++i)
    out[std::size_t(i)] = std::uint8_t(b[i]);
  return true;
}

bool interface_mac(const std::string& ifname, vrrp::Mac& out) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  ifreq req{};
  std::strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFHWADDR, &req) == 0;
  ::close(fd);
  if (ok)
    std::memcpy(out.data(), req.ifr_hwaddr.sa_data, 6);
  return ok;
}

std::optional<core::IpAddress> link_local(const std::string& ifname) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return std::nullopt;
  std::optional<core::IpAddress> found;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET6 || ifname != a->ifa_name)
      continue;
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
    auto addr = core::IpAddress::from_bytes(core::Family::inet6, sin6->sin6_addr.s6_addr);
    if (addr.is_link_local())
      found = addr;
  }
  ::freeifaddrs(list);
  return found;
}

} // namespace

int main(int argc, char** argv) {
  std::string ifname;
  std::vector<core::IpAddress> vips;
  std::optional<vrrp::Mac> mac;
  bool router = false;
  unsigned long rounds = 1;
  unsigned long gap_ms = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--router") {
      router = true;
    } else if (!has_value) {
      return usage("missing value or unknown option");
    } else if (arg == "--ifname") {
      ifname = argv[++i];
    } else if (arg == "--vip") {
      auto a = core::IpAddress::parse(argv[++i]);
      if (!a)
        return usage("bad --vip address");
      vips.push_back(*a);
    } else if (arg == "--mac") {
      vrrp::Mac m{};
      if (!parse_mac(argv[++i], m))
        return usage("bad --mac (aa:bb:cc:dd:ee:ff)");
      mac = m;
    } else if (arg == "--rounds") {
      rounds = std::stoul(argv[++i]);
    } else if (arg == "--gap-ms") {
      gap_ms = std::stoul(argv[++i]);
    } else {
      return usage("unknown option");
    }
  }
  if (ifname.empty() || vips.empty())
    return usage("--ifname and --vip are required");
  int ifindex = int(::if_nametoindex(ifname.c_str()));
  if (ifindex == 0)
    return usage("no such interface");
  vrrp::Mac src_mac{};
  if (mac)
    src_mac = *mac;
  else if (!interface_mac(ifname, src_mac))
    return usage("cannot read the interface MAC");

  std::vector<std::vector<std::uint8_t>> frames;
  for (const auto& vip : vips) {
    if (vip.is_v4()) {
      frames.push_back(vrrp::garp_frame(src_mac, vip));
      continue;
    }
    auto ll = link_local(ifname);
    if (!ll)
      return usage("the interface has no IPv6 link-local address");
    frames.push_back(vrrp::unsolicited_na_frame(src_mac, *ll, vip, router));
  }

  auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
  spdlog::logger log("vrrp", sink);
  boost::asio::io_context ctx{1};
  vrrp::io::Announcer announcer(ctx, log);
  const std::size_t expected = frames.size() * rounds;
  auto start = std::chrono::steady_clock::now();
  auto rest = announcer.burst(ifindex, std::move(frames), std::uint32_t(rounds),
                              std::chrono::milliseconds(gap_ms));
  bool first_sync = announcer.frames_sent() + announcer.send_errors() >= 1;
  boost::asio::co_spawn(ctx, std::move(rest), [](std::exception_ptr e) {
    if (e)
      std::rethrow_exception(e);
  });
  ctx.run();
  auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  std::printf("sent=%llu errors=%llu first_sync=%d elapsed_us=%lld\n",
              static_cast<unsigned long long>(announcer.frames_sent()),
              static_cast<unsigned long long>(announcer.send_errors()), first_sync ? 1 : 0,
              static_cast<long long>(elapsed.count()));
  return announcer.send_errors() == 0 && announcer.frames_sent() == expected ? 0 : 1;
}
