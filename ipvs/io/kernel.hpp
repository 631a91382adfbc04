#pragma once
// The kernel's IPVS table through generic netlink, on core's netlink socket: resolve the
// "IPVS" family, dump services and destinations, apply a plan's operations (in batches, one
// datagram each, the kernel answering only refusals and each batch's end). Every kernel error comes
// back with its reason and the operation it concerns.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/io/netlink.hpp"
#include "ipvs/genl.hpp"
#include "ipvs/table.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::ipvs::io {

/// One operation the kernel refused.
struct Failure {
  Op op;
  core::io::NetlinkError error;
};

/// "add destination [10.0.1.2]:80 to TCP [10.0.0.1]:80", for logs.
std::string describe(const Op& op);
/// "TCP [10.0.0.1]:80", "FWM 7", for logs.
std::string describe(const ServiceKey& key);

class Kernel {
public:
  /// Opens a generic-netlink socket (throws std::system_error when it cannot).
  explicit Kernel(boost::asio::io_context& ctx);

  /// Resolves the IPVS family (the kernel loads ip_vs on demand). nullopt: ready.
  boost::asio::awaitable<std::optional<core::io::NetlinkError>> open();
  bool available() const { return family_ != 0; }
  std::uint16_t family_id() const { return family_; }

  /// Traffic counters as a dump found them, per service and per destination.
  struct ServiceStats {
    genl::Stats service;
    std::map<DestinationKey, genl::Stats> destinations;
  };
  using StatsTable = std::map<ServiceKey, ServiceStats>;

  /// The kernel's whole table (services with their destinations); with `stats`, their
  /// counters too; with `order`, every destination in the kernel's own order (the order in
  /// which a flush removes them).
  boost::asio::awaitable<std::variant<Table, core::io::NetlinkError>>
  dump(StatsTable* stats = nullptr, std::vector<TrashKey>* order = nullptr);

  /// Operations per netlink datagram in apply(): large enough that system calls and answers
  /// are not what a big table costs, small enough that the kernel's work on one datagram (done
  /// inside the send, on the loop's thread) stays around a millisecond.
  static constexpr std::size_t batch_size = 256;

  /// Sends the operations in order, in batches, and waits for every answer; returns the refused
  /// ones (an empty list: all applied).
  boost::asio::awaitable<std::vector<Failure>> apply(const std::vector<Op>& ops);

  /// Removes every service of the kernel's table (foreign ones too).
  boost::asio::awaitable<std::optional<core::io::NetlinkError>> flush();

  /// The connection timeouts, and a change of the non-zero ones.
  boost::asio::awaitable<std::variant<genl::Timeouts, core::io::NetlinkError>> timeouts();
  boost::asio::awaitable<std::optional<core::io::NetlinkError>>
  set_timeouts(const genl::Timeouts& t);

  /// The running sync daemons; starting one; stopping the one of a state (master or backup).
  boost::asio::awaitable<std::variant<std::vector<genl::SyncDaemon>, core::io::NetlinkError>>
  daemons();
  boost::asio::awaitable<std::optional<core::io::NetlinkError>>
  start_daemon(const genl::SyncDaemon& d);
  boost::asio::awaitable<std::optional<core::io::NetlinkError>> stop_daemon(std::uint32_t state);

private:
  boost::asio::io_context& ctx_;
  core::io::NetlinkSocket sock_;
  std::uint16_t family_ = 0;
};

} // namespace vigil::ipvs::io
