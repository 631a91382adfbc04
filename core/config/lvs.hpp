#pragma once
// LVS side of the model: virtual_server_group, virtual_server, real_server and checkers.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config/common.hpp"

namespace vigil::core::config {

enum class Protocol : std::uint8_t { tcp, udp, sctp };
BOOST_DESCRIBE_ENUM(Protocol, tcp, udp, sctp)

enum class LvsMethod : std::uint8_t { nat, dr, tun };
BOOST_DESCRIBE_ENUM(LvsMethod, nat, dr, tun)

enum class TunnelType : std::uint8_t { ipip, gue, gre };
BOOST_DESCRIBE_ENUM(TunnelType, ipip, gue, gre)

enum class TunnelCsum : std::uint8_t { nocsum, csum, remcsum };
BOOST_DESCRIBE_ENUM(TunnelCsum, nocsum, csum, remcsum)

/// `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`
struct Forwarding {
  LvsMethod method = LvsMethod::nat;
  TunnelType tunnel_type = TunnelType::ipip;
  std::uint16_t tunnel_port = 0; ///< GUE only
  TunnelCsum tunnel_csum = TunnelCsum::nocsum;
  bool operator==(const Forwarding&) const = default;
};
BOOST_DESCRIBE_STRUCT(Forwarding, (), (method, tunnel_type, tunnel_port, tunnel_csum))

/// One line of a `virtual_server_group`: an address range with an optional port, or a fwmark.
struct VsgEntry {
  std::optional<IpAddress> first; ///< unset for fwmark entries
  std::optional<IpAddress> last;  ///< inclusive; equals first for a single address
  std::optional<std::uint16_t> port;
  std::optional<std::uint32_t> fwmark;
  std::optional<Family> family; ///< for fwmark entries (`inet`/`inet6`)
  Where where;
  bool operator==(const VsgEntry&) const = default;
};
BOOST_DESCRIBE_STRUCT(VsgEntry, (), (first, last, port, fwmark, family))

struct VirtualServerGroup {
  std::string name;
  std::vector<VsgEntry> entries;
  Where where;
  bool operator==(const VirtualServerGroup&) const = default;
};
BOOST_DESCRIBE_STRUCT(VirtualServerGroup, (), (name, entries))

struct StatusRange {
  std::uint16_t first = 200;
  std::uint16_t last = 299;
  bool operator==(const StatusRange&) const = default;
};
BOOST_DESCRIBE_STRUCT(StatusRange, (), (first, last))

/// keepalived's `regex_options` (PCRE2 names) that vigil's regex engine (Boost.Regex, Perl
/// syntax) honours.
struct RegexOptions {
  bool caseless = false;        ///< letters match either case
  bool multiline = false;       ///< ^ and $ also match at line breaks
  bool dotall = false;          ///< . also matches a newline
  bool extended = false;        ///< whitespace and # comments in the pattern are ignored
  bool no_auto_capture = false; ///< (...) does not capture
  bool operator==(const RegexOptions&) const = default;
};
BOOST_DESCRIBE_STRUCT(RegexOptions, (), (caseless, multiline, dotall, extended, no_auto_capture))

/// `url { path ...; digest ...; status_code ...; virtualhost ...; regex ... }`
struct UrlSpec {
  std::string path;
  std::optional<std::string> digest;    ///< lower-case hex MD5 of the body
  std::vector<StatusRange> status_code; ///< default 200-299
  std::optional<std::string> virtualhost;
  std::optional<std::string> regex;
  bool regex_no_match = false;
  RegexOptions regex_options;
  std::uint32_t regex_min_offset = 0;            ///< the search starts this far into the body
  std::optional<std::uint32_t> regex_max_offset; ///< a match must start at or before this
  Where where;
  bool operator==(const UrlSpec&) const = default;
};
BOOST_DESCRIBE_STRUCT(UrlSpec, (),
                      (path, digest, status_code, virtualhost, regex, regex_no_match, regex_options,
                       regex_min_offset, regex_max_offset))

enum class CheckerKind : std::uint8_t {
  http_get,
  ssl_get,
  tcp_check,
  smtp_check,
  misc_check,
  dns_check,
  udp_check,
  ping_check,
  file_check
};
BOOST_DESCRIBE_ENUM(CheckerKind, http_get, ssl_get, tcp_check, smtp_check, misc_check, dns_check,
                    udp_check, ping_check, file_check)

/// The keyword of a checker kind, as in the configuration: "HTTP_GET", "TCP_CHECK", ...
const char* checker_keyword(CheckerKind kind);

enum class HttpProtocol : std::uint8_t { http_1_0, http_1_0c, http_1_1 };
BOOST_DESCRIBE_ENUM(HttpProtocol, http_1_0, http_1_0c, http_1_1)

/// One checker block of a real server. Connection defaults are resolved by the loader from the
/// real server and virtual server.
struct Checker {
  CheckerKind kind = CheckerKind::tcp_check;
  std::optional<IpAddress> connect_ip;       ///< unset: the real server address
  std::optional<std::uint16_t> connect_port; ///< unset: the real server port
  std::optional<IpAddress> bindto;
  std::optional<std::uint16_t> bind_port;
  std::optional<std::string> bind_if;
  std::optional<std::uint32_t> fwmark;
  Micros connect_timeout = std::chrono::seconds(5);
  std::uint32_t retry = 1;
  Micros delay_before_retry = std::chrono::seconds(1);
  Micros delay_loop = std::chrono::seconds(60);
  std::optional<Micros> warmup; ///< unset: random up to delay_loop
  bool alpha = false;
  bool log_all_failures = false;
  // HTTP_GET / SSL_GET
  HttpProtocol http_protocol = HttpProtocol::http_1_0;
  std::optional<std::string> virtualhost;
  bool fast_recovery = false;
  bool enable_sni = false;
  std::vector<UrlSpec> urls;
  // SMTP_CHECK
  std::optional<std::string> helo_name;
  // MISC_CHECK
  Boxed<Command> misc_path;
  std::optional<Micros> misc_timeout; ///< unset: delay_loop
  bool misc_dynamic = false;
  // DNS_CHECK
  std::uint16_t dns_type = 6; ///< the query type (RFC 1035 3.2.2): SOA unless `type` says
  std::string dns_name = "."; ///< the name queried
  // UDP_CHECK
  std::optional<std::vector<std::uint8_t>> udp_payload; ///< unset: a random payload
  bool require_reply = false;
  std::vector<std::uint8_t> reply_pattern; ///< bytes the reply starts with (require_reply HEX)
  std::vector<std::uint8_t> reply_mask;    ///< per byte of reply_pattern: bits that must match
  std::uint32_t min_reply_length = 0;
  std::uint32_t max_reply_length = 255;
  // FILE_CHECK
  std::string track_file; ///< a top-level track_file's name
  std::int64_t file_weight = 0;
  bool file_reverse = false;
  Where where;
  bool operator==(const Checker&) const = default;
};
BOOST_DESCRIBE_STRUCT(Checker, (),
                      (kind, connect_ip, connect_port, bindto, bind_port, bind_if, fwmark,
                       connect_timeout, retry, delay_before_retry, delay_loop, warmup, alpha,
                       log_all_failures, http_protocol, virtualhost, fast_recovery, enable_sni,
                       urls, helo_name, misc_path, misc_timeout, misc_dynamic, dns_type, dns_name,
                       udp_payload, require_reply, reply_pattern, reply_mask, min_reply_length,
                       max_reply_length, track_file, file_weight, file_reverse))

/// `real_server IP [PORT] { ... }`
struct RealServer {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t weight = 1;
  Forwarding forwarding;
  bool inhibit_on_failure = false;
  Boxed<Command> notify_up;
  Boxed<Command> notify_down;
  std::optional<std::uint32_t> uthreshold;
  std::optional<std::uint32_t> lthreshold;
  bool smtp_alert = false;
  bool alpha = false; ///< start down until the first successful check
  std::vector<Checker> checkers;
  Where where;
  bool operator==(const RealServer&) const = default;
};
BOOST_DESCRIBE_STRUCT(RealServer, (),
                      (address, port, weight, forwarding, inhibit_on_failure, notify_up,
                       notify_down, uthreshold, lthreshold, smtp_alert, alpha, checkers))

enum class VsKind : std::uint8_t { address, fwmark, group };
BOOST_DESCRIBE_ENUM(VsKind, address, fwmark, group)

/// `virtual_server IP [PORT] | fwmark N | group NAME { ... }`
struct VirtualServer {
  VsKind kind = VsKind::address;
  std::optional<IpAddress> address;
  std::uint16_t port = 0;
  std::uint32_t fwmark = 0;
  std::string group;
  Family family = Family::inet;
  Protocol protocol = Protocol::tcp;
  std::string lvs_sched = "wlc";
  bool ops = false;
  bool flag_1 = false;
  bool flag_2 = false;
  bool flag_3 = false;
  Forwarding forwarding;
  std::optional<std::uint32_t> persistence_timeout;
  std::optional<IpAddress> persistence_granularity;
  std::optional<std::string> persistence_engine;
  bool ha_suspend = false;
  bool smtp_alert = false;
  std::optional<std::string> virtualhost;
  bool alpha = false;
  bool omega = false;
  std::uint32_t quorum = 1;
  std::uint32_t hysteresis = 0;
  Boxed<Command> quorum_up;
  Boxed<Command> quorum_down;
  std::optional<IpAddress> sorry_server;
  std::uint16_t sorry_server_port = 0;
  bool sorry_server_inhibit = false;
  std::optional<Forwarding> sorry_server_lvs_method;
  std::vector<RealServer> real_servers;
  Where where;
  bool operator==(const VirtualServer&) const = default;
};
BOOST_DESCRIBE_STRUCT(VirtualServer, (),
                      (kind, address, port, fwmark, group, family, protocol, lvs_sched, ops, flag_1,
                       flag_2, flag_3, forwarding, persistence_timeout, persistence_granularity,
                       persistence_engine, ha_suspend, smtp_alert, virtualhost, alpha, omega,
                       quorum, hysteresis, quorum_up, quorum_down, sorry_server, sorry_server_port,
                       sorry_server_inhibit, sorry_server_lvs_method, real_servers))

/// How keepalived writes a virtual server in logs and FIFO lines: "[10.0.0.100]:tcp:80",
/// "FWM 10", "[group NAME]:tcp:80".
std::string describe_vs(const VirtualServer& vs);
/// A real server of `vs` the same way: "[10.0.0.2]:tcp:80".
std::string describe_rs(const VirtualServer& vs, const RealServer& rs);
/// "tcp", "udp", "sctp".
const char* protocol_name(Protocol p);

/// One destination of a virtual server in the desired table: what the checkers want and the IPVS
/// layer programs (ports as configured; the IPVS layer applies the forwarding method's rules).
struct DesiredDestination {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t weight = 0;
  Forwarding forwarding;
  std::uint32_t uthreshold = 0;
  std::uint32_t lthreshold = 0;
  bool sorry = false; ///< the sorry server
  bool operator==(const DesiredDestination&) const = default;
};

/// `SSL { password; ca; certificate; key }` for SSL_GET.
struct SslContext {
  std::optional<std::string> password;
  std::optional<std::string> ca;
  std::optional<std::string> certificate;
  std::optional<std::string> key;
  bool operator==(const SslContext&) const = default;
};
BOOST_DESCRIBE_STRUCT(SslContext, (), (password, ca, certificate, key))

} // namespace vigil::core::config
