#include "core/io/interfaces.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace vigil::core::io {

Interfaces::Interfaces(boost::asio::io_context& ctx)
    : ctx_(ctx), command_(ctx, NETLINK_ROUTE), monitor_(ctx, NETLINK_ROUTE) {}

boost::asio::awaitable<void> Interfaces::load() {
  monitor_.join(RTNLGRP_LINK);
  monitor_.join(RTNLGRP_IPV4_IFADDR);
  monitor_.join(RTNLGRP_IPV6_IFADDR);
  monitor_.start([this](const nlmsghdr& nlh) { apply(nlh); },
                 [this] {
                   // The kernel dropped notifications: read everything again.
                   if (resyncing_)
                     return;
                   resyncing_ = true;
                   boost::asio::co_spawn(ctx_, resync(), boost::asio::detached);
                 });
  command_.start({});
  co_await resync();
}

boost::asio::awaitable<void> Interfaces::resync() {
  resyncing_ = true;
  std::map<int, Link> links;
  std::map<int, std::vector<Address>> addrs;
  auto e1 = co_await command_.call(dump_links_request(), [&](const nlmsghdr& nlh) {
    if (auto l = parse_link(nlh))
      links[l->index] = *l;
  });
  auto e2 = co_await command_.call(dump_addresses_request(), [&](const nlmsghdr& nlh) {
    if (auto a = parse_address(nlh))
      addrs[a->index].push_back(*a);
  });
  if (e1 || e2) {
    resyncing_ = false;
    throw std::runtime_error("cannot read interfaces from the kernel: " +
                             (e1 ? e1->message : e2->message));
  }
  // Report what disappeared, then everything present (handlers are idempotent).
  for (const auto& [index, l] : links_)
    if (!links.count(index) && on_link)
      on_link(l, true);
  links_ = std::move(links);
  addresses_ = std::move(addrs);
  resyncing_ = false;
  if (on_link)
    for (const auto& [index, l] : links_)
      on_link(l, false);
  if (on_address)
    for (const auto& [index, list] : addresses_)
      for (const auto& a : list)
        on_address(a, false);
}

void Interfaces::apply(const nlmsghdr& nlh) {
  if (auto l = parse_link(nlh)) {
    bool removed = nlh.nlmsg_type == RTM_DELLINK;
    if (removed) {
      links_.erase(l->index);
      addresses_.erase(l->index);
    } else {
      Link& cur = links_[l->index];
      // Notifications may omit attributes; keep what we knew.
      if (l->name.empty())
        l->name = cur.name;
      if (!l->has_mac && cur.has_mac)
        l->mac = cur.mac, l->has_mac = true;
      cur = *l;
    }
    if (on_link)
      on_link(*l, removed);
  } else if (auto a = parse_address(nlh)) {
    bool removed = nlh.nlmsg_type == RTM_DELADDR;
    auto& list = addresses_[a->index];
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Address& x) { return x.address == a->address; });
    if (removed) {
      if (it != list.end())
        list.erase(it);
    } else if (it != list.end()) {
      *it = *a;
    } else {
      list.push_back(*a);
    }
    if (on_address)
      on_address(*a, removed);
  }
}

const Link* Interfaces::find(std::string_view name) const {
  for (const auto& [index, l] : links_)
    if (l.name == name)
      return &l;
  return nullptr;
}

const Link* Interfaces::find(int index) const {
  auto it = links_.find(index);
  return it == links_.end() ? nullptr : &it->second;
}

const std::vector<Address>& Interfaces::addresses(int index) const {
  static const std::vector<Address> none;
  auto it = addresses_.find(index);
  return it == addresses_.end() ? none : it->second;
}

bool Interfaces::has_address(int index, const IpAddress& a) const {
  const auto& list = addresses(index);
  return std::any_of(list.begin(), list.end(), [&](const Address& x) { return x.address == a; });
}

bool Interfaces::has_local_address(const IpAddress& a) const {
  for (const auto& [index, list] : addresses_)
    for (const auto& x : list)
      if (x.address == a)
        return true;
  return false;
}

} // namespace vigil::core::io
