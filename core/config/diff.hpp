#pragma once
// What a reload changes, computed where it costs nothing to the event loop: the daemon's parse
// worker compares the running configuration with the new one (both immutable), and the loop
// applies the result. Comparing 37,000 real servers setting by setting takes ~15 ms: on the
// loop that would delay adverts.
#include <cstddef>
#include <optional>
#include <vector>

#include "core/config/config.hpp"

namespace vigil::core::config {

struct ConfigDiff {
  /// For each virtual server of the new configuration: the index of the running one it
  /// continues unchanged (same describe_vs() identity and every setting equal), or nullopt
  /// when it is new or changed.
  std::vector<std::optional<std::size_t>> unchanged_vs;
};

/// Compares `running` with `next`. Linear in their size (a hash of the identities).
ConfigDiff diff(const Config& running, const Config& next);

} // namespace vigil::core::config
