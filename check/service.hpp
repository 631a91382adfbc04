#pragma once
// The health of one virtual server and its real servers, keepalived's semantics, as a pure
// state machine: the driver reports each checker's verdict, the service says what changed
// (real server up/down, quorum gained/lost) and which destinations the kernel table should hold.
//
//   - A real server is up while every one of its checkers says up (one without checkers is
//     always up). A checker with `alpha` starts down, others up.
//   - Its weight is the configured weight plus the dynamic adjustments of its checkers
//     (MISC_CHECK misc_dynamic, FILE_CHECK with a weight), within 0..2147483647.
//   - Quorum: the sum of the weights of the live real servers. With quorum up it is lost when
//     that sum falls below `quorum - hysteresis`; with quorum down it is gained when the sum
//     reaches `quorum + hysteresis`. The service starts with quorum up and evaluates it at
//     start(), so a service below quorum from the start reports the loss once.
//   - The table: each live real server at its weight; a dead one at weight 0 with
//     `inhibit_on_failure`, else absent. With quorum lost and a `sorry_server`, the sorry server
//     (weight 1) replaces the live real servers (dead inhibited ones stay at 0); with
//     `sorry_server_inhibit` the sorry server sits at weight 0 while quorum holds.
//   - At a graceful stop only a service with `omega` reports its live real servers down and
//     its quorum lost.
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "core/config/lvs.hpp"

namespace vigil::check {

/// One destination of a virtual server in the desired table (shared with the IPVS layer).
using Destination = core::config::DesiredDestination;

/// A real server came up or went down (notify_up / notify_down, mail, FIFO line).
struct RsChange {
  std::size_t rs = 0; ///< index into the virtual server's real_servers
  bool up = false;
};
/// The virtual server gained or lost quorum (quorum_up / quorum_down, mail, FIFO line).
struct QuorumChange {
  bool up = false;
  std::int64_t live_weight = 0; ///< the sum that decided it
};
using ServiceEvent = std::variant<RsChange, QuorumChange>;
using ServiceEvents = std::vector<ServiceEvent>;

class Service {
public:
  /// `vs` must outlive the service (the driver keeps the configuration snapshot alive).
  explicit Service(const core::config::VirtualServer& vs);

  /// Evaluates quorum once for the initial checker states (reports a loss at start).
  ServiceEvents start();
  /// A checker's verdict: `checker` indexes `real_servers[rs].checkers`; `weight_delta` is its
  /// dynamic weight adjustment (0 for checkers without one).
  ServiceEvents set_checker(std::size_t rs, std::size_t checker, bool up,
                            std::int64_t weight_delta = 0);
  /// The events of a graceful stop: none, unless the virtual server has `omega`.
  ServiceEvents shutdown() const;

  const core::config::VirtualServer& config() const { return *vs_; }
  /// A reload kept this virtual server unchanged: follow it into the new snapshot (`vs` must
  /// compare equal to config(); the state stays as it is).
  void rebind(const core::config::VirtualServer& vs) { vs_ = &vs; }
  bool rs_up(std::size_t rs) const { return rs_[rs].up; }
  /// The real server's weight now (configured plus dynamic adjustments).
  std::uint32_t rs_weight(std::size_t rs) const;
  bool checker_up(std::size_t rs, std::size_t checker) const {
    return rs_[rs].checkers[checker].up;
  }
  bool quorum_up() const { return quorum_up_; }
  std::int64_t live_weight() const { return live_; }
  /// What the kernel table should hold for this virtual server now.
  std::vector<Destination> desired() const;

private:
  struct CheckerState {
    bool up = true;
    std::int64_t delta = 0;
  };
  struct RsState {
    std::vector<CheckerState> checkers;
    bool up = true;
  };
  void evaluate_quorum(ServiceEvents& out);

  const core::config::VirtualServer* vs_;
  std::vector<RsState> rs_;
  bool quorum_up_ = true;
  std::int64_t live_ = 0; ///< the sum of the live real servers' weights, kept up to date
};

} // namespace vigil::check
