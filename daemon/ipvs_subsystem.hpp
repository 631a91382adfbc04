#pragma once
// The IPVS driver: turns the checkers' desired tables into the kernel's IPVS table and keeps
// it so. Level-triggered: each change (a verdict, a reload, an error) re-derives the whole
// desired table, reads the kernel's, and applies the difference; services it would create
// anyway are adopted at start (a restart does not reset connection scheduling), foreign ones are
// left alone, and at stop it removes what it owns. On a kernel without IPVS it says so once and
// the checkers go on without it.
#include <memory>
#include <string>

#include "daemon/check_subsystem.hpp"
#include "daemon/logging.hpp"
#include "daemon/subsystem.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::daemon {

class IpvsSubsystem : public Subsystem, public TableSink {
public:
  /// A VRRP instance changed state (MASTER, BACKUP, FAULT, STOP...): the sync daemon of
  /// `lvs_sync_daemon` follows the instance it names.
  virtual void instance_state(const std::string& instance, const std::string& state) = 0;
};

std::unique_ptr<IpvsSubsystem> make_ipvs_subsystem(boost::asio::io_context& ctx, const Logs& logs);

} // namespace vigil::daemon
