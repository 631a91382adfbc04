// vigild: command line entry point.
#include <cstdio>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "daemon/app.hpp"
#include "daemon/cli.hpp"
#include "daemon/config_loader.hpp"
#include "daemon/genhash.hpp"
#include "daemon/logging.hpp"

namespace {

using namespace vigil;

/// -t and --dump-config: keepalived's exit codes (0 valid, 4 unreadable, 5 errors).
int check_config(const daemon::Options& o) {
  grammar::LoadOptions lo;
  lo.config_id = o.config_id.value_or(daemon::short_hostname());
  lo.hostname = daemon::hostname();
  lo.all_config = o.all_config;
  auto loaded = daemon::load_config(o.config_file, lo, daemon::UnactedPolicy::warning);
  std::fputs(core::render_all(loaded.diagnostics).c_str(), stderr);
  if (loaded.unreadable)
    return 4;
  if (!loaded.config)
    return 5;
  if (o.mode == daemon::Mode::dump_config)
    std::fputs(core::config::to_json(*loaded.config).c_str(), stdout);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // genhash: by program name (a `genhash` link to vigild), or --genhash / -T as first option.
  std::string self = argc > 0 ? argv[0] : "";
  if (auto slash = self.rfind('/'); slash != std::string::npos)
    self = self.substr(slash + 1);
  if (self == "genhash")
    return daemon::run_genhash(args);
  if (!args.empty() && (args[0] == "--genhash" || args[0] == "-T"))
    return daemon::run_genhash(std::vector<std::string>(args.begin() + 1, args.end()));
  auto cli = daemon::parse_cli(args);
  if (!cli.options) {
    std::fprintf(stderr, "vigild: %s\n\n%s", cli.error.c_str(), daemon::usage().c_str());
    return 2;
  }
  const daemon::Options& o = *cli.options;
  switch (o.mode) {
  case daemon::Mode::help:
    std::fputs(daemon::usage().c_str(), stdout);
    return 0;
  case daemon::Mode::version:
    std::fputs(daemon::version_text().c_str(), stdout);
    return 0;
  case daemon::Mode::config_test:
  case daemon::Mode::dump_config:
    return check_config(o);
  case daemon::Mode::run:
    break;
  }
  auto logs = daemon::Logs::make(o.log_level, o.log_json);
  try {
    return daemon::run_daemon(o, logs);
  } catch (const std::exception& e) {
    logs.daemon->critical("fatal: {}", e.what());
    return 1;
  }
}
