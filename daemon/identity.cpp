#include "daemon/identity.hpp"

#include <string>

#include <spdlog/logger.h>

#include "core/io/process.hpp"

namespace vigil::daemon {

std::optional<core::io::RunAs> script_identity(const core::config::GlobalDefs& g,
                                               const core::config::Command& c,
                                               spdlog::logger& log) {
  std::string why;
  const auto& who = c.run_as ? c.run_as : g.script_user;
  if (who) {
    auto as = core::io::resolve_user(who->user, who->group, why);
    if (!as)
      log.error("script {}: {}; it runs as root instead", c.text, why);
    return as;
  }
  return core::io::resolve_user("keepalived_script", std::nullopt, why); // nullopt: root
}

} // namespace vigil::daemon
