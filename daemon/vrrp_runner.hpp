#pragma once
// One running VRRP instance as the VRRP subsystem drives it: its configuration, its pure state
// machine, its place in the subsystem's deadline queue and what binds it to the host. Included by
// the daemon's VRRP units only.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/vrrp.hpp"
#include "core/time.hpp"
#include "vrrp/ah.hpp"
#include "vrrp/instance.hpp"

namespace vigil::vrrp::io {
class VrrpSocket;
} // namespace vigil::vrrp::io

namespace vigil::daemon {

using DropCounts = std::array<std::uint64_t, std::size_t(vrrp::Drop::count_)>;

struct Runner : std::enable_shared_from_this<Runner> {
  explicit Runner(core::config::VrrpInstance c)
      : cfg(std::move(c)), fsm(vrrp::Settings::from_config(cfg)) {}
  core::config::VrrpInstance cfg;
  vrrp::Instance fsm;
  /// The deadline this instance is queued under in the subsystem's deadline queue (none: not
  /// queued). Equal to fsm.next_deadline() after every event.
  std::optional<core::Clock::time_point> queued_at;
  /// Effects of this instance waiting in the subsystem's deferred queue: new ones go behind.
  std::size_t deferred = 0;
  std::uint64_t served_round = 0; ///< the subsystem's last serve_due() that ticked it
  int ifindex = 0;
  vrrp::io::VrrpSocket* socket = nullptr;    ///< receives (and sends, without a VMAC)
  vrrp::io::VrrpSocket* tx_socket = nullptr; ///< sends: the VMAC unless vmac_xmit_base
  int vmac_ifindex = 0;                      ///< use_vmac: the macvlan, once it exists
  vrrp::ah::Sequence ah_seq;                 ///< auth_type AH (keepalived's counter)
  vrrp::ah::IpId ah_ip_id;
  bool ah() const { return cfg.auth_type == core::config::AuthType::ah; }
  std::optional<core::IpAddress> source; ///< advert source: src_ip or the interface primary
  bool vips_present = false;
  bool stopped = false;
  bool removed = false; ///< dropped by a reload: notified as DELETED or FAULT, not STOP
  std::vector<std::string> track_faults; ///< the trackers' current fault reasons
  core::Clock::time_point last_transition = core::Clock::now();
  std::string config_hash; ///< identifies this configuration in the state file
  DropCounts drops_logged{};
  const std::string& name() const { return cfg.name; }
};

using Runners = std::vector<std::shared_ptr<Runner>>;

} // namespace vigil::daemon
