#include "daemon/vmac.hpp"

#include <net/if.h>

#include <fstream>

#include <spdlog/spdlog.h>

#include "core/io/file_watch.hpp"
#include "core/io/interfaces.hpp"
#include "core/io/netlink.hpp"
#include "core/io/rtnl.hpp"
#include "daemon/vrrp_net.hpp"

namespace vigil::daemon {

Vmacs::Vmacs(core::io::Interfaces& interfaces, NetChanges& net, spdlog::logger& log)
    : ifs_(interfaces), net_(net), log_(log) {}

const core::io::Link* Vmacs::ensure(const std::string& who, const std::string& name,
                                    const core::io::Link& parent, const vrrp::Mac& mac) {
  const auto* vm = ifs_.find(name);
  if (!vm) {
    if (!pending_.count(name)) {
      pending_.insert(name);
      log_.info("{} creating VMAC {} on {}", who, name, parent.name);
      ifs_.command().request(core::io::macvlan_request(name, parent.index, mac), {},
                             [this, name](const core::io::NetlinkError* e) {
                               pending_.erase(name);
                               if (e)
                                 log_.error("cannot create VMAC {}: {}", name, e->message);
                             });
    }
    return nullptr;
  }
  if (!(vm->flags & IFF_UP)) {
    net_.change(who, true, "IPv6 address generation off on " + name,
                core::io::addr_gen_none_request(vm->index));
    net_.change(who, true, "VMAC " + name + " up", core::io::link_up_request(vm->index));
  }
  // Answer ARP only on the interface that holds the address: the VIP from the VMAC (with the
  // virtual MAC), the host's own addresses from the parent (keepalived issue #2282).
  set_sysctl("net/ipv4/conf/" + parent.name + "/arp_ignore", "1");
  // ARP requests the parent sends for traffic from the VIP must not say "VIP is at the
  // parent's MAC": announce the parent's own address instead.
  set_sysctl("net/ipv4/conf/" + parent.name + "/arp_announce", "2");
  set_sysctl("net/ipv4/conf/" + name + "/arp_ignore", "1");
  set_sysctl("net/ipv4/conf/" + name + "/accept_local", "1");
  set_sysctl("net/ipv4/conf/" + name + "/rp_filter", "0");
  return vm;
}

void Vmacs::remove(const std::string& who, const std::string& name) {
  if (const auto* l = ifs_.find(name))
    net_.change(who, false, "VMAC " + l->name, core::io::link_delete_request(l->index));
}

/// Writes a sysctl (procfs: memory-backed, it does not block), remembering the value it had.
void Vmacs::set_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  auto old = core::io::FileWatch::read(path);
  if (!old) {
    log_.warn("cannot read {}", path);
    return;
  }
  while (!old->empty() && (old->back() == '\n' || old->back() == ' '))
    old->pop_back();
  if (*old == value)
    return;
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) {
    log_.warn("cannot write {} = {}", path, value);
    return;
  }
  sysctls_.emplace(path, *old); // keeps the first (original) value
}

void Vmacs::restore_sysctls() {
  for (const auto& [path, value] : sysctls_) {
    std::ofstream out(path);
    out << value;
  }
  sysctls_.clear();
}

} // namespace vigil::daemon
