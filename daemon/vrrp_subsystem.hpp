#pragma once
// The VRRP driver: runs one vrrp::Instance per configured vrrp_instance on the io_context,
// feeds it adverts from the raw sockets and link/address events from rtnetlink, and executes
// its effects (adverts, VIP changes through netlink, gratuitous ARP / unsolicited NA).
#include <memory>
#include <string>

#include "daemon/logging.hpp"
#include "daemon/subsystem.hpp"

namespace boost::asio {
class io_context;
}
namespace vigil::core::io {
class Interfaces;
}

namespace vigil::core::io {
class ProcessRunner;
} // namespace vigil::core::io

namespace vigil::daemon {

using core::io::ProcessRunner;
class Notifier;
class SnmpAgent;

std::unique_ptr<Subsystem> make_vrrp_subsystem(boost::asio::io_context& ctx, const Logs& logs,
                                               core::io::Interfaces& interfaces,
                                               ProcessRunner& runner, Notifier& notifier,
                                               SnmpAgent& snmp, const std::string& state_path,
                                               bool link_layer_adverts = true);

} // namespace vigil::daemon
