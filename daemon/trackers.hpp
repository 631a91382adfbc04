#pragma once
// What VRRP instances track: vrrp_script programs (run periodically, rise/fall), track_file
// values (inotify) and interfaces (rtnetlink link state). Keeps each object's status and tells
// the VRRP driver when one changed; the driver re-evaluates instances with evaluate().
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.hpp"
#include "core/json.hpp"
#include "core/metrics.hpp"
#include "vrrp/tracking.hpp"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}
namespace vigil::core::io {
class FileWatch;
class Interfaces;
} // namespace vigil::core::io

namespace vigil::core::io {
class ProcessRunner;
struct RunAs;
} // namespace vigil::core::io

namespace vigil::daemon {

using core::io::ProcessRunner;
using core::io::RunAs;

/// A track file's value: the integer it starts with (after blanks, an optional '+'), else 0;
/// a missing file is 0.
long track_file_value(const std::optional<std::string>& content);
/// Writes init_file's value to the file when it is missing (or always with overwrite).
void init_track_file(const core::config::TrackFile& c, spdlog::logger& log);

class Trackers {
public:
  /// `run_as` resolves a script's identity (its `user`, else script_user, else the default).
  Trackers(boost::asio::io_context& ctx, spdlog::logger& log, core::io::Interfaces& interfaces,
           core::io::FileWatch& files, ProcessRunner& runner,
           std::function<std::optional<RunAs>(const core::config::Command&)> run_as);
  ~Trackers();

  /// Follows what `config` tracks: scripts and files named by some instance or sync group.
  /// Scripts whose definition is unchanged keep running and keep their state.
  void configure(const core::config::Config& config);
  void stop();

  /// The fault and priority delta for one instance: its own trackers (with their weights, or
  /// fault-only when it belongs to a sync group, as keepalived does) plus its group's.
  vrrp::TrackOutcome evaluate(const core::config::VrrpInstance& instance,
                              const core::config::SyncGroup* group) const;

  /// Called whenever a script or file status changed.
  std::function<void()> on_change;

  void state_json(core::Json& j) const;
  /// keepalived_script_status / _state and vigil's tracker metrics.
  void metrics(core::Metrics& m) const;

private:
  struct Script;
  struct File {
    core::config::TrackFile config;
    long value = 0;
    bool present = false;
  };
  void apply_refs(vrrp::TrackOutcome& out, const core::config::Trackers& t, bool weights) const;
  void start_script(std::shared_ptr<Script> s);

  boost::asio::io_context& ctx_;
  spdlog::logger& log_;
  core::io::Interfaces& ifs_;
  core::io::FileWatch& files_;
  ProcessRunner& runner_;
  std::function<std::optional<RunAs>(const core::config::Command&)> run_as_;
  std::map<std::string, std::shared_ptr<Script>> scripts_;
  std::map<std::string, File> track_files_;
  std::map<std::string, bool> watched_; ///< paths already handed to FileWatch
  bool stopped_ = false;
};

} // namespace vigil::daemon
