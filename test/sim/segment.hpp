#pragma once
// A virtual LAN for VRRP instances on a virtual clock: adverts go through the real codec, with
// per-link latency, loss and partitions. Scenarios run in milliseconds without root.
// A Node is one VRRP instance; several VRIDs share a segment as several Nodes (a host running
// many instances adds one Node per VRID, all with its address): adverts are routed by VRID.
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "vrrp/instance.hpp"

namespace vigil::sim {

using core::Duration;
using core::TimePoint;

struct Node {
  std::string name;
  core::IpAddress address;
  vrrp::Instance instance;
  int partition = 0; ///< nodes only hear nodes of the same partition
  bool alive = true; ///< a crashed node neither sends nor receives
  std::vector<std::pair<TimePoint, vrrp::Transition>> transitions;
  std::vector<TimePoint> adverts_sent;
  std::vector<TimePoint> garps_sent;
};

class Segment {
public:
  explicit Segment(Duration latency = Duration{0}, double loss = 0.0, unsigned seed = 1);

  Node& add(const std::string& name, const char* address, vrrp::Settings settings);
  Node& node(const std::string& name);
  /// Starts every node at the current time.
  void start_all();
  void start(Node& n);
  /// Runs the clock until `t` (inclusive), delivering packets and firing deadlines in order.
  void run_until(TimePoint t);
  void run_for(Duration d) { run_until(now_ + d); }
  TimePoint now() const { return now_; }

  /// A crash: the node stops at once, sending nothing (no priority 0).
  void crash(Node& n);
  /// A graceful stop: the node's shutdown effects (priority 0 advert) are sent.
  void stop(Node& n);
  void set_loss(double loss) { loss_ = loss; }

  std::vector<Node*> masters();
  /// Time of the last advert any node sent before `t`.
  std::optional<TimePoint> last_advert_before(TimePoint t) const;

private:
  struct Packet {
    TimePoint at;
    std::size_t from;
    std::vector<std::uint8_t> bytes;
    std::uint64_t seq;
    bool operator>(const Packet& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void execute(std::size_t index, const vrrp::Effects& fx);
  void deliver(const Packet& p);
  std::size_t index_of(const Node& n) const;
  /// Re-reads node `i`'s next deadline into the timer queue (after every call into it).
  void refresh(std::size_t i);

  std::vector<std::unique_ptr<Node>> nodes_;
  std::priority_queue<Packet, std::vector<Packet>, std::greater<>> wire_;
  TimePoint now_{std::chrono::seconds(100)};
  Duration latency_;
  double loss_;
  std::mt19937 rng_;
  std::uint64_t seq_ = 0;
  std::vector<std::pair<TimePoint, std::size_t>> advert_log_;
  std::array<std::vector<std::size_t>, 256> by_vrid_; ///< node indices per VRID, in order
  /// Live nodes' next deadlines, earliest first (ties: the lower index, as a scan would find).
  std::set<std::pair<TimePoint, std::size_t>> timers_;
  std::vector<std::optional<TimePoint>> queued_; ///< each node's entry in timers_
};

} // namespace vigil::sim
