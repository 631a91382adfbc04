#pragma once
// vigild's command line, keeping keepalived users' habits. Pure: parses argv into Options.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil::daemon {

enum class Mode { run, config_test, dump_config, help, version };

struct Options {
  Mode mode = Mode::run;
  std::string config_file = "/etc/keepalived/keepalived.conf";
  std::string log_level = "info";
  std::optional<std::string> config_id; ///< default: the short host name
  bool all_config = false;
  std::optional<std::string> pid_file;
  /// --status-listen ADDR:PORT (an IPv4 literal, or an IPv6 one in brackets).
  struct Listen {
    std::string address;
    std::uint16_t port = 0;
  };
  std::optional<Listen> status_listen;
  bool log_json = false; ///< --log-format json
  /// --state-dir: where the VRRP state file lives (restart without failover)
  std::string state_dir = "/run/vigil";
  /// --ip-output-adverts: multicast adverts through the kernel's IP output path (netfilter
  /// OUTPUT/POSTROUTING see them) instead of written at the link layer.
  bool ip_output_adverts = false;
};

/// "10.0.0.1:9165", "[::1]:9165": the address (validated as an IP literal) and port.
std::optional<Options::Listen> parse_listen(const std::string& text);

struct CliResult {
  std::optional<Options> options; ///< unset: bad usage
  std::string error;              ///< why, for the usage message
};

CliResult parse_cli(const std::vector<std::string>& args);

std::string usage();
std::string version_text();

} // namespace vigil::daemon
