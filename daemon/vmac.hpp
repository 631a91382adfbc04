#pragma once
// use_vmac: the private macvlans that carry an instance's virtual MAC (RFC 5798 7.3), and the
// sysctls they need, remembered so that the host gets its own values back at stop.
#include <map>
#include <set>
#include <string>

#include <spdlog/fwd.h>

#include "vrrp/announce.hpp"

namespace vigil::core::io {
class Interfaces;
struct Link;
} // namespace vigil::core::io

namespace vigil::daemon {

class NetChanges;

class Vmacs {
public:
  /// All three must outlive this object.
  Vmacs(core::io::Interfaces& interfaces, NetChanges& net, spdlog::logger& log);

  /// The VMAC `name` with `mac` on `parent`, for instance `who` ("(VI_1)"). When it is missing
  /// its creation is requested (once; a link event reports it) and nullptr is returned. When it
  /// exists: brought up with IPv6 address generation off if it is down, the ARP sysctls that
  /// make each interface answer for its own addresses set, and the link returned (it may still
  /// be down: look at its flags).
  const core::io::Link* ensure(const std::string& who, const std::string& name,
                               const core::io::Link& parent, const vrrp::Mac& mac);
  /// Deletes the VMAC `name` if it exists (at stop; also one a crashed run left and this one
  /// reused).
  void remove(const std::string& who, const std::string& name);
  /// Puts back every sysctl ensure() changed, to the value it had before the first change.
  void restore_sysctls();

private:
  void set_sysctl(const std::string& key, const std::string& value);

  core::io::Interfaces& ifs_;
  NetChanges& net_;
  spdlog::logger& log_;
  std::set<std::string> pending_;              ///< VMACs being created
  std::map<std::string, std::string> sysctls_; ///< path -> original value
};

} // namespace vigil::daemon
