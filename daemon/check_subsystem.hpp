#pragma once
// The health-check driver: runs the probes of every virtual server's real servers on the
// io_context (identical checks share one probe), feeds their results to the pure schedules and
// service states, and acts on the changes (log lines, notify_up/notify_down, quorum_up and
// quorum_down, mail, FIFO lines). The desired IPVS table of each virtual server is computed
// and shown in the state dump; programming it into the kernel is the IPVS subsystem's job.
#include <memory>
#include <vector>

#include "check/service.hpp"
#include "daemon/logging.hpp"
#include "daemon/subsystem.hpp"

namespace boost::asio {
class io_context;
}
namespace vigil::core::io {
class Interfaces;
class ProcessRunner;
} // namespace vigil::core::io

namespace vigil::daemon {

class Notifier;
class SnmpAgent;

/// Who applies the desired tables (the IPVS subsystem).
class TableSink {
public:
  virtual ~TableSink() = default;
  /// After a start or reload: the table of every virtual server of `config`, in order.
  virtual void tables(const core::config::ConfigPtr& config,
                      std::vector<std::vector<check::Destination>> per_vs) = 0;
  /// The table of virtual server `vs` (an index into the last config) changed.
  virtual void table(std::size_t vs, const std::vector<check::Destination>& dests) = 0;
};

std::unique_ptr<Subsystem> make_check_subsystem(boost::asio::io_context& ctx, const Logs& logs,
                                                core::io::Interfaces& interfaces,
                                                core::io::ProcessRunner& runner, Notifier& notifier,
                                                SnmpAgent& snmp, TableSink& sink);

} // namespace vigil::daemon
