#include "daemon/genhash.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "check/http.hpp"
#include "check/io/probe.hpp"
#include "core/io/process.hpp"
#include "daemon/logging.hpp"

namespace vigil::daemon {

namespace {

namespace asio = boost::asio;

struct GenhashOptions {
  std::optional<core::IpAddress> server;
  std::optional<std::uint16_t> port;
  std::string url = "/";
  bool ssl = false;
  bool sni = false;
  std::optional<std::string> virtualhost;
  core::config::HttpProtocol protocol = core::config::HttpProtocol::http_1_0;
  std::chrono::microseconds timeout = std::chrono::seconds(5);
  bool verbose = false;
  bool help = false;
};

/// Parses genhash's options; returns the error text for bad usage, or nullopt.
std::optional<std::string> parse(const std::vector<std::string>& args, GenhashOptions& o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::optional<std::string> inline_value;
    if (a.rfind("--", 0) == 0) {
      if (auto eq = a.find('='); eq != std::string::npos) {
        inline_value = a.substr(eq + 1);
        a = a.substr(0, eq);
      }
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value)
        return inline_value;
      if (i + 1 >= args.size())
        return std::nullopt;
      return args[++i];
    };
    auto is = [&](const char* s, const char* l) { return a == s || a == l; };
    if (is("-h", "--help")) {
      o.help = true;
    } else if (is("-v", "--verbose")) {
      o.verbose = true;
    } else if (is("-S", "--use-ssl")) {
      o.ssl = true;
    } else if (is("-I", "--use-sni")) {
      o.sni = true;
    } else if (is("-s", "--server") || is("-p", "--port") || is("-u", "--url") ||
               is("-V", "--use-virtualhost") || is("-P", "--protocol") || is("-t", "--timeout") ||
               is("-m", "--hash")) {
      auto v = value();
      if (!v)
        return "option '" + a + "' needs a value";
      if (is("-s", "--server")) {
        o.server = core::IpAddress::parse(*v);
        if (!o.server)
          return "'" + *v + "' is not an IP address (genhash does not resolve names)";
      } else if (is("-p", "--port")) {
        char* end = nullptr;
        long p = std::strtol(v->c_str(), &end, 10);
        if (v->empty() || *end != '\0' || p < 1 || p > 65535)
          return "port must be 1..65535, not '" + *v + "'";
        o.port = std::uint16_t(p);
      } else if (is("-u", "--url")) {
        o.url = *v;
      } else if (is("-V", "--use-virtualhost")) {
        o.virtualhost = *v;
      } else if (is("-P", "--protocol")) {
        if (*v == "1.0")
          o.protocol = core::config::HttpProtocol::http_1_0;
        else if (*v == "1.0c" || *v == "1.0C")
          o.protocol = core::config::HttpProtocol::http_1_0c;
        else if (*v == "1.1")
          o.protocol = core::config::HttpProtocol::http_1_1;
        else
          return "protocol must be 1.0, 1.0c or 1.1, not '" + *v + "'";
      } else if (is("-t", "--timeout")) {
        char* end = nullptr;
        double t = std::strtod(v->c_str(), &end);
        if (v->empty() || *end != '\0' || !(t > 0) || t > 3600)
          return "timeout must be a number of seconds above 0, not '" + *v + "'";
        o.timeout = std::chrono::microseconds(std::int64_t(t * 1e6));
      } else if (is("-m", "--hash")) {
        if (*v != "md5")
          return "hash '" + *v + "' is not supported: keepalived's digests are MD5 (-m md5)";
      }
    } else {
      return "unknown option '" + a + "'";
    }
  }
  if (!o.help && !o.server)
    return "the server address is required (-s ADDRESS)";
  return std::nullopt;
}

void hexdump(const std::string& title, const std::string& bytes) {
  std::printf("%s (%zu bytes)\n", title.c_str(), bytes.size());
  for (std::size_t off = 0; off < bytes.size(); off += 16) {
    std::string hex, text;
    for (std::size_t i = off; i < off + 16; ++i) {
      if (i < bytes.size()) {
        auto c = static_cast<unsigned char>(bytes[i]);
        hex += fmt::format("{:02x} ", c);
        text += (c >= 32 && c < 127) ? char(c) : '.';
      } else {
        hex += "   ";
      }
    }
    std::printf("%08zx  %s %s\n", off, hex.c_str(), text.c_str());
  }
  std::printf("\n");
}

} // namespace

std::string genhash_usage() {
  return "Usage: vigild --genhash -s ADDRESS [options]   (or: genhash -s ADDRESS [options])\n"
         "Prints the MD5 digest of a page's body, as HTTP_GET / SSL_GET compute it for a\n"
         "url's 'digest'.\n"
         "  -s, --server ADDRESS          the server's IPv4 or IPv6 address (required)\n"
         "  -p, --port PORT               its port (default 80, 443 with -S)\n"
         "  -u, --url PATH                the path to fetch (default /)\n"
         "  -S, --use-ssl                 HTTPS (SSL_GET)\n"
         "  -I, --use-sni                 send the virtual host as TLS SNI (with -V)\n"
         "  -V, --use-virtualhost NAME    the Host header (default ADDRESS:PORT)\n"
         "  -P, --protocol 1.0|1.0c|1.1   the request's HTTP version (default 1.0)\n"
         "  -t, --timeout SECONDS         for the whole exchange (default 5)\n"
         "  -m, --hash md5                the digest (MD5 only, as keepalived)\n"
         "  -v, --verbose                 show the request, the response header and body\n"
         "  -h, --help                    this text\n"
         "Exit status: 0 with the digest on stdout; 1 when the page cannot be fetched (the\n"
         "reason on stderr); 2 on bad usage. (keepalived's genhash prints failures on stdout\n"
         "and exits 0.)\n";
}

int run_genhash(const std::vector<std::string>& args) {
  GenhashOptions o;
  if (auto err = parse(args, o)) {
    std::fprintf(stderr, "genhash: %s\n\n%s", err->c_str(), genhash_usage().c_str());
    return 2;
  }
  if (o.help) {
    std::fputs(genhash_usage().c_str(), stdout);
    return 0;
  }
  core::config::Checker k;
  k.kind = o.ssl ? core::config::CheckerKind::ssl_get : core::config::CheckerKind::http_get;
  k.http_protocol = o.protocol;
  k.enable_sni = o.sni;
  k.connect_timeout = o.timeout;
  check::io::Target target{*o.server, o.port.value_or(o.ssl ? 443 : 80)};

  asio::io_context ctx(1);
  auto logs = Logs::make("error");
  core::io::ProcessRunner runner(ctx, *logs.check);
  check::io::Prober prober(ctx, runner);
  if (o.ssl)
    if (auto why = prober.configure_tls(std::nullopt)) {
      std::fprintf(stderr, "genhash: %s\n", why->c_str());
      return 1;
    }
  std::optional<check::io::HttpFetch> fetched;
  auto started = std::chrono::steady_clock::now();
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        fetched = co_await prober.fetch(k, target, o.url, o.virtualhost, o.verbose);
      },
      asio::detached);
  ctx.run();
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  if (!fetched) {
    std::fprintf(stderr, "genhash: internal error: the fetch did not complete\n");
    return 1;
  }
  const auto& r = *fetched->response;
  if (o.verbose) {
    hexdump("Request", fetched->request);
    if (r.header_done())
      hexdump("Response header", r.header_text());
    if (!r.body().empty())
      hexdump("Body (first " + std::to_string(r.body().size()) + " of " +
                  std::to_string(r.body_size()) + " bytes)",
              r.body());
  }
  if (fetched->failure) {
    std::fprintf(stderr, "genhash: [%s]:%u%s: %s\n", target.address.to_string().c_str(),
                 unsigned(target.port), o.url.c_str(), fetched->failure->c_str());
    return 1;
  }
  if (r.state() != check::HttpResponseReader::State::done) {
    std::fprintf(stderr, "genhash: [%s]:%u%s: %s\n", target.address.to_string().c_str(),
                 unsigned(target.port), o.url.c_str(),
                 r.error().empty() ? "incomplete response" : r.error().c_str());
    return 1;
  }
  if (o.verbose)
    std::printf("HTTP status %d, %llu body bytes, %.3f s\nMD5SUM = ", r.status(),
                static_cast<unsigned long long>(r.body_size()), elapsed.count());
  std::printf("%s\n", r.digest().c_str());
  return 0;
}

} // namespace vigil::daemon
