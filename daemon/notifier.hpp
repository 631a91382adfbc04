#pragma once
// Who gets told about transitions, for the whole daemon (one per process, shared by the VRRP
// and checker subsystems): notify scripts (notify_master/backup/fault/stop and `notify` with
// keepalived's four extra arguments; notify_up/notify_down of real servers; quorum_up and
// quorum_down of virtual servers), the notify FIFOs (ordered lines such as
// `INSTANCE "VI_1" MASTER 100`, `RS [10.0.0.2]:tcp:80 [10.0.0.100]:tcp:80 UP`,
// `VS [10.0.0.100]:tcp:80 DOWN`; notify_fifo gets both kinds, vrrp_notify_fifo the VRRP ones,
// lvs_notify_fifo the checker ones), and SMTP alerts. Scripts of one instance, group, real
// server or virtual server run one after the other, in transition order (keepalived runs them
// concurrently and unordered).
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

  /// Told every VRRP instance transition after the scripts and FIFO lines are queued (the
  /// IPVS sync daemon follows its instance this way).
  using InstanceListener =
      std::function<void(const std::string& instance, const std::string& state)>;
  void on_instance(InstanceListener listener) {
    instance_listeners_.push_back(std::move(listener));
  }

  /// `state` is MASTER, BACKUP, FAULT or STOP (keepalived's words).
  void instance(const core::config::VrrpInstance& vi, const std::string& state, unsigned priority);
  void group(const core::config::SyncGroup& g, const std::string& state, unsigned priority);
  /// notify_priority_changes: `INSTANCE "VI_1" MASTER_PRIORITY 90` on the FIFOs.
  void priority(const core::config::VrrpInstance& vi, bool master, unsigned priority);
  /// A real server of `vs` went up or down: notify_up / notify_down, the RS FIFO line, mail.
  void real_server(const core::config::VirtualServer& vs, const core::config::RealServer& rs,
                   bool up);
  /// `vs` gained or lost quorum: quorum_up / quorum_down, the VS FIFO line, mail.
  void quorum(const core::config::VirtualServer& vs, bool up);

  /// Lets queued scripts and mail finish (the caller bounds the wait).
  boost::asio::awaitable<void> stop();

  void state_json(core::Json& j) const;

private:
  std::vector<InstanceListener> instance_listeners_;
  struct Queue;
  enum class Channel : std::uint8_t { vrrp, lvs };
  void fifo_line(Channel channel, const std::string& line);
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
  struct FifoReader; ///< a running reader script and the means to stop it
  struct Fifo {
    std::unique_ptr<NotifyFifo> fifo;
    std::shared_ptr<FifoReader> reader;
    bool vrrp = false; ///< gets the VRRP lines
    bool lvs = false;  ///< gets the checker lines
  };
  std::vector<Fifo> fifos_;
  std::vector<core::config::NotifyFifo> fifo_configs_;
  std::unique_ptr<Alerter> alerter_;
  std::map<std::string, std::shared_ptr<Queue>> queues_;
  std::uint64_t scripts_run_ = 0;
  std::uint64_t scripts_failed_ = 0;
};

} // namespace vigil::daemon
