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

/// Handlers that all get every call (several subsystems follow the same events).
template <class... Args> class Listeners {
public:
  void add(std::function<void(Args...)> f) { fns_.push_back(std::move(f)); }
  void operator()(Args... args) const {
    for (const auto& f : fns_)
      f(args...);
  }
  explicit operator bool() const { return !fns_.empty(); }

private:
  std::vector<std::function<void(Args...)>> fns_;
};

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
  /// Whether any interface holds `a`.
  bool has_local_address(const IpAddress& a) const;

  /// Called for every change (also once per object after a re-sync following an overrun).
  Listeners<const Link&, bool> on_link;       ///< (link, removed)
  Listeners<const Address&, bool> on_address; ///< (address, removed)

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
