#pragma once
// Restart without failover: a small file in --state-dir that says which VRRP instances this
// vigild holds as MASTER. It is rewritten atomically (a temporary file, then rename) on every
// transition, and its modification time is refreshed while any instance is master (at most
// every 10 ms, one futimens), so a process started after a crash knows how long ago its
// predecessor last advertised. A graceful stop removes it: a SIGTERM hands over as before.
//
// The directory is expected on a memory file system (/run): the writes are on the event loop.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}

namespace vigil::daemon {

/// One instance's line: identity, state and the hash of its configuration.
struct SavedInstance {
  std::string name;
  unsigned vrid = 0;
  std::string family; ///< inet, inet6
  std::string interface;
  std::string state; ///< MASTER, BACKUP, FAULT, INIT
  std::string config_hash;
  bool operator==(const SavedInstance&) const = default;
};

/// The file's text (one line per instance after a comment line) and back; lines that do not
/// parse are skipped.
std::string render_state(const std::vector<SavedInstance>& instances);
std::vector<SavedInstance> parse_state(const std::string& text);

/// What the previous process left: its instances and how long ago it last refreshed the file.
struct PreviousRun {
  std::vector<SavedInstance> instances;
  std::chrono::nanoseconds age{0};
};

class StateFile {
public:
  /// `path`: the file (its directory is created if missing). Problems are logged, never thrown.
  StateFile(std::string path, spdlog::logger& log);
  ~StateFile();
  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;

  /// Reads the previous run's file (once, before the first write); nullopt if there is none.
  std::optional<PreviousRun> previous();
  /// Replaces the file with `instances`.
  void write(const std::vector<SavedInstance>& instances);
  /// Refreshes the modification time (rate-limited; call it on every advert of a master).
  void heartbeat();
  /// Graceful stop: no state is left for a successor to adopt.
  void remove();
  const std::string& path() const { return path_; }

private:
  std::string path_;
  spdlog::logger& log_;
  int fd_ = -1;
  bool failed_ = false; ///< logged once; later writes are tried again silently
  std::chrono::steady_clock::time_point last_beat_{};
};

} // namespace vigil::daemon
