#include "daemon/cli.hpp"

#include <array>
#include <string_view>

#include "core/ip.hpp"

namespace vigil::daemon {

std::optional<Options::Listen> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size())
    return std::nullopt;
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return std::nullopt; // an IPv6 address needs its brackets
  auto a = core::IpAddress::parse(host);
  if (!a || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5)
    return std::nullopt;
  unsigned long p = std::stoul(port);
  if (p == 0 || p > 65535)
    return std::nullopt;
  return Options::Listen{a->to_string(), static_cast<std::uint16_t>(p)};
}

CliResult parse_cli(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::optional<std::string> inline_value;
    if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        inline_value = a.substr(eq + 1);
        a = a.substr(0, eq);
      }
    }
    auto value = [&](std::string& out) -> bool {
      if (inline_value) {
        out = *inline_value;
        return true;
      }
      if (i + 1 >= args.size())
        return false;
      out = args[++i];
      return true;
    };
    auto missing = [&] { return CliResult{std::nullopt, "option '" + a + "' needs a value"}; };
    if (a == "-f" || a == "--config" || a == "--use-file") {
      if (!value(o.config_file))
        return missing();
    } else if (a == "-t" || a == "--config-test") {
      o.mode = Mode::config_test;
    } else if (a == "--dump-config") {
      o.mode = Mode::dump_config;
    } else if (a == "--log-level") {
      std::string lvl;
      if (!value(lvl))
        return missing();
      static constexpr std::array<std::string_view, 5> levels{"trace", "debug", "info", "warn",
                                                              "error"};
      bool ok = false;
      for (auto l : levels)
        ok = ok || lvl == l;
      if (!ok)
        return {std::nullopt, "--log-level must be trace, debug, info, warn or error"};
      o.log_level = lvl;
    } else if (a == "-i" || a == "--config-id") {
      std::string id;
      if (!value(id))
        return missing();
      o.config_id = id;
    } else if (a == "-e" || a == "--all-config") {
      o.all_config = true;
    } else if (a == "--pid-file") {
      std::string p;
      if (!value(p))
        return missing();
      o.pid_file = p;
    } else if (a == "--status-listen") {
      std::string v;
      if (!value(v))
        return missing();
      auto l = parse_listen(v);
      if (!l)
        return {std::nullopt, "--status-listen wants ADDR:PORT with an IP address (IPv6 in "
                              "brackets: [::1]:9165), not '" +
                                  v + "'"};
      o.status_listen = *l;
    } else if (a == "--state-dir") {
      std::string v;
      if (!value(v))
        return missing();
      if (v.empty())
        return {std::nullopt, "--state-dir wants a directory"};
      o.state_dir = v;
    } else if (a == "--log-format") {
      std::string v;
      if (!value(v))
        return missing();
      if (v != "text" && v != "json")
        return {std::nullopt, "--log-format must be text or json"};
      o.log_json = v == "json";
    } else if (a == "--ip-output-adverts") {
      o.ip_output_adverts = true;
    } else if (a == "-n" || a == "--dont-fork" || a == "-l" || a == "--log-console" || a == "-D" ||
               a == "--log-detail") {
      // keepalived habits: vigild always runs in the foreground and logs to stderr.
    } else if (a == "-h" || a == "--help") {
      o.mode = Mode::help;
    } else if (a == "-v" || a == "--version") {
      o.mode = Mode::version;
    } else {
      return {std::nullopt, "unknown option '" + args[i] + "'"};
    }
    if (inline_value &&
        (a == "-t" || a == "--config-test" || a == "--dump-config" || a == "-e" ||
         a == "--all-config" || a == "--help" || a == "--version" || a == "--ip-output-adverts"))
      return {std::nullopt, "option '" + a + "' takes no value"};
  }
  return {o, {}};
}

std::string usage() {
  return "Usage: vigild [OPTION]...\n"
         "High-availability daemon: VRRP, IPVS and health checks, configured in the\n"
         "keepalived.conf language. Runs in the foreground and logs to stderr.\n"
         "\n"
         "  -f, --config FILE    configuration file (also --use-file)\n"
         "                       default /etc/keepalived/keepalived.conf\n"
         "  -t, --config-test    check the configuration and exit:\n"
         "                       0 valid, 4 cannot read the file, 5 errors\n"
         "      --dump-config    print the normalized configuration as JSON and exit\n"
         "  -i, --config-id ID   id for '@ID' lines (default: the short host name)\n"
         "  -e, --all-config     an include that matches no file is an error\n"
         "      --log-level L    trace, debug, info (default), warn or error\n"
         "      --pid-file FILE  write the process id to FILE\n"
         "      --status-listen ADDR:PORT\n"
         "                       serve /metrics (Prometheus), /status (JSON) and /healthz\n"
         "                       over HTTP on ADDR:PORT (IPv6: [::1]:9165)\n"
         "      --log-format F   text (default) or json (one object per line)\n"
         "      --state-dir DIR  where the VRRP state file lives (default /run/vigil): a\n"
         "                       vigild restarted after a crash adopts the masters it held\n"
         "      --ip-output-adverts\n"
         "                       send multicast adverts through the IP output path, where\n"
         "                       netfilter's OUTPUT rules see them (default: written at the\n"
         "                       link layer on Ethernet interfaces, at half the kernel cost)\n"
         "  -n, -l, -D           accepted for keepalived compatibility; no effect\n"
         "  -v, --version        print the version and exit\n"
         "  -h, --help           print this help and exit\n"
         "  -T, --genhash ...    (first option) print the MD5 digest of a page for a url's\n"
         "                       'digest', as keepalived's genhash; see vigild --genhash -h\n"
         "\n"
         "Signals: HUP reloads the configuration, TERM or INT stops, USR1 logs the state.\n";
}

std::string version_text() {
  return "vigild " VIGIL_VERSION "\n";
}

} // namespace vigil::daemon
