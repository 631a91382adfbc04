#pragma once
// The kernel's interfaces and addresses as vigil sees them: dumped once, then followed through
// rtnetlink notifications (never polled). Owns the rtnetlink command socket that subsystems use
// for their address, route and rule requests.
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/io/netlink.hpp"
#include "core/io/rtnl.hpp"

namespace vigil::core::io {

class Interfaces {
public:
  explicit Interfaces(boost::asio::io_context& ctx);

  /// Subscribes to link and address changes, then dumps the current state.
  boost::asio::awaitable<void> load();

  const Link* find(std::string_view name) const;
  const Link* find(int index) const;
  /// The interface's addresses in kernel order (the primary IPv4 address first).
  const std::vector<Address>& addresses(int index) const;
  bool has_address(int index, const IpAddress& a) const;

  /// Called for every change (also once per object after a re-sync following an overrun).
  std::function<void(const Link& link, bool removed)> on_link;
  std::function<void(const Address& address, bool removed)> on_address;

  NetlinkSocket& command() { return command_; }

private:
  void apply(const nlmsghdr& nlh);
  boost::asio::awaitable<void> resync();

  boost::asio::io_context& ctx_;
  NetlinkSocket command_;
  NetlinkSocket monitor_;
  std::map<int, Link> links_;
  std::map<int, std::vector<Address>> addresses_;
  bool resyncing_ = false;
};

} // namespace vigil::core::io
