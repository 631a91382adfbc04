#pragma once
// Who gets told about VRRP transitions: notify scripts (notify_master/backup/fault/stop and
// `notify` with keepalived's four extra arguments), the notify FIFOs (ordered lines such as
// `INSTANCE "VI_1" MASTER 100`), and SMTP alerts. Scripts of one instance or group run one
// after the other, in transition order (keepalived runs them concurrently and unordered).
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/config/config.hpp"
#include "core/json.hpp"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace vigil::core::io {
class ProcessRunner;
struct RunAs;
class Alerter;
} // namespace vigil::core::io

namespace vigil::daemon {

using core::io::Alerter;
using core::io::ProcessRunner;
using core::io::RunAs;

class NotifyFifo;

class Notifier {
public:
  Notifier(boost::asio::io_context& ctx, spdlog::logger& log, ProcessRunner& runner,
           std::function<std::optional<RunAs>(const core::config::Command&)> run_as);
  ~Notifier();

  /// Opens the FIFOs (starting their reader scripts) and sets up mail, for `config`.
  void configure(const core::config::Config& config);

  /// `state` is MASTER, BACKUP, FAULT or STOP (keepalived's words).
  void instance(const core::config::VrrpInstance& vi, const std::string& state, unsigned priority);
  void group(const core::config::SyncGroup& g, const std::string& state, unsigned priority);
  /// notify_priority_changes: `INSTANCE "VI_1" MASTER_PRIORITY 90` on the FIFOs.
  void priority(const core::config::VrrpInstance& vi, bool master, unsigned priority);

  /// Lets queued scripts and mail finish (the caller bounds the wait).
  boost::asio::awaitable<void> stop();

  void state_json(core::Json& j) const;

private:
  struct Queue;
  void fifo_line(const std::string& line);
  void transition(const std::string& kind, const std::string& name,
                  const core::config::NotifyScripts& notify, const std::string& state,
                  unsigned priority);
  void run_scripts(const std::string& key, std::vector<const core::config::Command*> scripts,
                   std::vector<std::string> extra);
  void mail(const std::string& kind, const std::string& name, const std::string& state,
            unsigned priority);

  boost::asio::io_context& ctx_;
  spdlog::logger& log_;
  ProcessRunner& runner_;
  std::function<std::optional<RunAs>(const core::config::Command&)> run_as_;
  core::config::GlobalDefs globals_;
  std::vector<std::unique_ptr<NotifyFifo>> fifos_;
  std::vector<core::config::NotifyFifo> fifo_configs_;
  std::unique_ptr<Alerter> alerter_;
  std::map<std::string, std::shared_ptr<Queue>> queues_;
  std::uint64_t scripts_run_ = 0;
  std::uint64_t scripts_failed_ = 0;
};

} // namespace vigil::daemon
