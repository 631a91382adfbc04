#pragma once
// What the daemon runs: one Subsystem per domain (VRRP, checkers, IPVS), each driving its pure
// core from coroutines on the single io_context. Included only by daemon translation units.
#include <functional>
#include <string>
#include <vector>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/config/config.hpp"
#include "core/config/diff.hpp"
#include "core/json.hpp"
#include "core/metrics.hpp"

namespace vigil::daemon {

class Subsystem {
public:
  virtual ~Subsystem() = default;
  virtual std::string_view name() const = 0;
  /// Starts from `config`; spawns its coroutines on the io_context it was built with.
  virtual void start(const core::config::ConfigPtr& config) = 0;
  /// Moves to `next` in place: unchanged objects keep running untouched. `diff` compares the
  /// running configuration with `next` (computed off the loop).
  virtual void reload(const core::config::ConfigPtr& next,
                      const core::config::ConfigDiff& diff) = 0;
  /// Graceful stop (priority-0 adverts, VIP removal, ...); the caller bounds it with a timeout.
  virtual boost::asio::awaitable<void> stop() = 0;
  /// The subsystem's state as a JSON value (for SIGUSR1 and the status endpoint).
  virtual std::string state_json() const = 0;
  /// The same value as parts that write it in sequence into one writer, for GET /status, which
  /// renders one part per turn of the event loop. By default one part: state_json().
  using JsonPart = std::function<void(core::Json&)>;
  virtual void state_parts(std::vector<JsonPart>& parts) const {
    parts.push_back([this](core::Json& j) { j.raw(state_json()); });
  }
  /// state_json() of a subsystem that overrides state_parts(): its parts in one go.
  std::string json_of_parts() const {
    core::Json j;
    std::vector<JsonPart> parts;
    state_parts(parts);
    for (const auto& part : parts)
      part(j);
    return j.take();
  }
  /// The subsystem's metric families for GET /metrics, as parts the caller renders one per
  /// turn of the event loop (a scrape of a huge configuration must not hold the VRRP timers);
  /// each part writes whole families, each family once.
  using MetricPart = std::function<void(core::Metrics&)>;
  virtual void metrics(std::vector<MetricPart>& parts) const = 0;
};

} // namespace vigil::daemon
