#include "daemon/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace vigil::daemon {

Logs Logs::make(const std::string& level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
  // Milliseconds matter for failover timelines; the level and logger name are grep targets.
  sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %n: %v");
  auto lvl = spdlog::level::from_str(level);
  auto make = [&](const char* name) {
    auto l = std::make_shared<spdlog::logger>(name, sink);
    l->set_level(lvl);
    l->flush_on(spdlog::level::trace);
    return l;
  };
  return Logs{make("daemon"), make("config"), make("vrrp"), make("check"), make("ipvs")};
}

} // namespace vigil::daemon
