#pragma once
// Who a script runs as, the same for notify scripts, vrrp_script and MISC_CHECK.
#include <optional>

#include "core/config/config.hpp"

namespace spdlog {
class logger;
}
namespace vigil::core::io {
struct RunAs;
}

namespace vigil::daemon {

/// The identity `c` runs as: its own `user`, else global_defs script_user, else
/// keepalived_script when that account exists, else nullopt (vigild's own identity, root).
/// A configured user that cannot be resolved is logged and the script runs as root.
std::optional<core::io::RunAs> script_identity(const core::config::GlobalDefs& g,
                                               const core::config::Command& c, spdlog::logger& log);

} // namespace vigil::daemon
