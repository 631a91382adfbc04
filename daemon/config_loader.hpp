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
  /// The statements read (grammar::LoadResult::text), which statement_hash() covers.
  std::shared_ptr<const std::string> text;
};

/// The configuration's hash for status and metrics: hex SHA-256 of the statement text.
/// Identical files give identical hashes; a comment edit changes nothing, any statement does.
std::string statement_hash(const std::string& text);

enum class UnactedPolicy { error, warning };

Loaded load_config(const std::string& path, const grammar::LoadOptions& options,
                   UnactedPolicy policy);

/// The short host name (up to the first dot), the default config id.
std::string short_hostname();
std::string hostname();

} // namespace vigil::daemon
