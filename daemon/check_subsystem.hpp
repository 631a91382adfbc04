#pragma once
// The health-check driver: runs the probes of every virtual server's real servers on the
// io_context (identical checks share one probe), feeds their results to the pure schedules and
// service states, and acts on the changes (log lines, notify_up/notify_down, quorum_up and
// quorum_down, mail, FIFO lines). The desired IPVS table of each virtual server is computed
// and shown in the state dump; programming it into the kernel is the IPVS subsystem's job.
#include <memory>

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

std::unique_ptr<Subsystem> make_check_subsystem(boost::asio::io_context& ctx, const Logs& logs,
                                                core::io::Interfaces& interfaces,
                                                core::io::ProcessRunner& runner,
                                                Notifier& notifier);

} // namespace vigil::daemon
