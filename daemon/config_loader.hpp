#pragma once
// Loads the configuration for the daemon: the grammar library plus the rule that a keyword this
// build does not act on is refused when running (and reported as a warning by -t).
#include <string>

#include "core/config/config.hpp"
#include "core/diagnostic.hpp"
#include "grammar/load.hpp"

namespace vigil::daemon {

struct Loaded {
  core::config::ConfigPtr config; ///< set when usable (no errors)
  core::Diagnostics diagnostics;
  bool unreadable = false;
  std::string hash; ///< hex SHA-256 of the configuration's statements (LoadResult::text_sha256)
};

enum class UnactedPolicy { error, warning };

Loaded load_config(const std::string& path, const grammar::LoadOptions& options,
                   UnactedPolicy policy);

/// The short host name (up to the first dot), the default config id.
std::string short_hostname();
std::string hostname();

} // namespace vigil::daemon
