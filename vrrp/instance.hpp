#pragma once
// One VRRP virtual router: the RFC 9568 6.4 state machine as a deterministic function of
// (state, event, now) -> effects. No sockets, no clock: the driver passes `now`, delivers
// decoded adverts and link events, sleeps until next_deadline(), and executes the effects.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config/vrrp.hpp"
#include "core/ip.hpp"
#include "core/time.hpp"
#include "vrrp/packet.hpp"

namespace vigil::vrrp {

using core::Duration;
using core::TimePoint;

enum class State : std::uint8_t { init, backup, master, fault };
std::string_view to_string(State s); ///< INIT, BACKUP, MASTER, FAULT

/// Why a transition happened (logged with it, counted in the state dump).
enum class Reason : std::uint8_t {
  startup,           ///< Initialize -> Backup
  address_owner,     ///< priority 255 takes over at once
  master_down_timer, ///< no advert from a master for Master_Down_Interval
  priority_zero,     ///< the master resigned (priority 0); took over after Skew_Time
  higher_priority,   ///< a higher priority advert (or equal with a higher address)
  preempted,         ///< same, seen while master: yield
  fault,             ///< a fault condition started
  fault_cleared,
  shutdown,
  sync_group, ///< another member of the vrrp_sync_group changed state
  adopted,    ///< restart without failover: the previous process was master moments ago
};
std::string_view to_string(Reason r);

/// Conditions that keep an instance in FAULT (any one of them).
enum class FaultKind : std::uint8_t { link_down, no_source_address, tracker, sync_group };

/// Everything the state machine needs, resolved from the configuration.
struct Settings {
  std::string name;
  core::Family family = core::Family::inet;
  std::uint8_t version = 2;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 100; ///< configured priority; 255 = address owner
  Duration advert_int = std::chrono::seconds(1);
  std::uint32_t down_timer_adverts = 3;
  bool initial_master = false; ///< `state MASTER` (still waits unless owner)
  bool preempt = true;
  Duration preempt_delay{0};
  Auth auth = Auth::none;
  std::array<std::uint8_t, 8> auth_data{};
  std::vector<core::IpAddress> vips; ///< advertised addresses
  bool skip_check_adv_addr = false;
  bool lower_prio_no_advert = false;
  bool higher_prio_send_advert = false;
  bool unicast = false;
  std::vector<core::config::UnicastPeer> peers;
  bool check_unicast_src = false;
  ChecksumForm checksum = ChecksumForm::pseudo_header;
  Duration garp_master_delay = std::chrono::seconds(5);
  std::uint32_t garp_master_repeat = 5;
  Duration garp_lower_prio_delay = std::chrono::seconds(5);
  std::uint32_t garp_lower_prio_repeat = 5;
  Duration garp_master_refresh{0};
  std::uint32_t garp_master_refresh_repeat = 1;

  static Settings from_config(const core::config::VrrpInstance& c);
};

// --- effects ----------------------------------------------------------------------------------

struct SendAdvert {
  std::uint8_t priority;
};
struct AddVips {};
struct DelVips {};
/// Send `rounds` rounds of gratuitous ARP / unsolicited NA for every address.
struct SendGarp {
  std::uint32_t rounds;
};
struct Transition {
  State from;
  State to;
  Reason reason;
  std::optional<core::IpAddress> peer; ///< the advert's source when one caused it
  std::uint8_t peer_priority = 0;
};
using Effect = std::variant<SendAdvert, AddVips, DelVips, SendGarp, Transition>;
using Effects = std::vector<Effect>;

// --- events -----------------------------------------------------------------------------------

/// A decoded advertisement for this instance, with what the IP layer said about it.
struct Received {
  Advert advert;
  core::IpAddress src;
  std::uint8_t ttl = 255;
  bool to_multicast = true;
  ChecksumForm form = ChecksumForm::pseudo_header;
  /// How long before `now` the kernel received it (0 when unknown). A backup restarts its
  /// master-down timer from the arrival, not from when the loop got to the packet; the
  /// correction is at most one advertisement interval, so the timer never lands in the past.
  Duration age{0};
};

/// Per-peer knowledge (RFC 9568 8.3.2 suggests logging duplicate owners etc.).
struct PeerInfo {
  std::uint64_t adverts = 0;
  std::uint8_t last_priority = 0;
  std::uint64_t checksum_pseudo_header = 0; ///< v3 IPv4 adverts with the RFC 5798 form
  std::uint64_t checksum_message_only = 0;  ///< v3 IPv4 adverts with the RFC 9568 form
};

struct Counters {
  std::uint64_t adverts_rx = 0;
  std::uint64_t adverts_tx = 0;
  std::uint64_t priority_zero_rx = 0;
  std::uint64_t priority_zero_tx = 0;
  std::uint64_t became_master = 0;
  std::uint64_t released_master = 0;
  std::array<std::uint64_t, std::size_t(Drop::count_)> drops{};
};

class Instance {
public:
  explicit Instance(Settings settings);

  /// Starts the instance (Initialize). With a startup delay it stays in INIT until it passes.
  /// `stagger` lengthens the first Master_Down_Interval after that (a backup's first takeover
  /// only): a daemon starting many instances at once spreads their phases with it, so that
  /// they do not all advertise in the same instant for the rest of their lives.
  Effects start(TimePoint now, Duration startup_delay = Duration{0},
                Duration stagger = Duration{0});
  /// Restart without failover: instead of start(), takes over as master at once (advert, VIPs,
  /// GARP) because the previous process was master until moments ago and the backups have not
  /// taken over. The caller decides when that is safe. With a fault it starts in FAULT.
  Effects adopt(TimePoint now);
  /// Processes an advert that the codec accepted and the driver routed to this VRID; `now` is
  /// the current time (the arrival time is `now - r.age`).
  Effects receive(const Received& r, TimePoint now);
  /// Processes expired deadlines; harmless when called early or late.
  Effects tick(TimePoint now);
  /// Graceful stop: a master resigns with priority 0 and removes its addresses.
  Effects shutdown(TimePoint now);
  /// Sets or clears a fault condition (link down, no source address, tracker).
  Effects set_fault(FaultKind kind, bool active, TimePoint now);
  /// Our primary address on the interface: the RFC 6.4.3 tie-break compares against it.
  void set_primary_address(std::optional<core::IpAddress> a) { primary_ = a; }
  /// Changes the effective priority (trackers); an owner (255) never changes.
  Effects set_priority(std::uint8_t effective, TimePoint now);
  /// Reload in place: takes the new settings and keeps the state, timers, counters and peers.
  /// A master stays master: when what it advertises changes (addresses, interval, auth,
  /// checksum form, peers) it advertises at once, otherwise its next advert comes no later
  /// than one new interval from now; its GARP refresh follows the new setting. A backup keeps
  /// its master-down timer as it is. The effective priority is the driver's to set afterwards
  /// (set_priority). Identity (name, VRID, family, version) and ownership (priority 255) must
  /// not change: the driver restarts the instance for those.
  Effects reconfigure(Settings next, TimePoint now);
  /// vrrp_sync_group: follow another member into MASTER or BACKUP (FAULT goes through
  /// set_fault(FaultKind::sync_group)). Does nothing from INIT or FAULT, or when already there.
  Effects sync_to(State target, TimePoint now);

  std::optional<TimePoint> next_deadline() const;

  State state() const { return state_; }
  const Settings& settings() const { return s_; }
  std::uint8_t priority() const { return priority_; }
  const Counters& counters() const { return counters_; }
  const std::map<core::IpAddress, PeerInfo>& peers() const { return peers_; }
  std::optional<core::IpAddress> master_address() const { return master_; }
  std::optional<core::IpAddress> primary_address() const { return primary_; }
  /// The master's advertisement interval as last learned (v3), or ours.
  Duration master_adver_interval() const { return master_adver_interval_; }
  /// RFC 5798 6.1: Skew_Time and Master_Down_Interval for the current priority.
  Duration skew_time() const;
  Duration master_down_interval() const;
  bool faulted() const { return faults_ != 0; }
  bool has_fault(FaultKind k) const { return faults_ & (1u << unsigned(k)); }
  /// Counts a drop decided outside the instance (the driver's part of the ladder).
  void count_drop(Drop d) { ++counters_.drops[std::size_t(d)]; }

private:
  void become_master(Effects& fx, TimePoint now, Reason why,
                     std::optional<core::IpAddress> peer = {}, std::uint8_t peer_prio = 0);
  void become_backup(Effects& fx, TimePoint now, Reason why,
                     std::optional<core::IpAddress> peer = {}, std::uint8_t peer_prio = 0);
  void become_fault(Effects& fx, TimePoint now);
  void send_advert(Effects& fx, TimePoint now, std::uint8_t prio);
  Drop validate(const Received& r) const;
  bool addresses_match(const std::vector<core::IpAddress>& got) const;
  bool owner() const { return s_.priority == 255; }
  void sort_vips(); ///< sorted_vips_ from s_.vips

  Settings s_;
  std::vector<core::IpAddress> sorted_vips_; ///< s_.vips in order, for addresses_match()
  State state_ = State::init;
  std::uint8_t priority_;
  unsigned faults_ = 0; ///< bit per FaultKind
  bool link_was_down_ = false;
  std::optional<core::IpAddress> primary_;
  std::optional<core::IpAddress> master_;
  Duration master_adver_interval_;
  bool lower_master_seen_ = false;
  std::optional<TimePoint> start_at_;
  Duration start_stagger_{0}; ///< added to the first master-down wait after start()
  std::optional<TimePoint> adver_timer_;
  std::optional<TimePoint> down_timer_;
  std::optional<TimePoint> garp_second_burst_;
  std::uint32_t garp_second_rounds_ = 0;
  std::optional<TimePoint> last_lower_prio_garp_;
  std::optional<TimePoint> garp_refresh_;
  Counters counters_;
  std::map<core::IpAddress, PeerInfo> peers_;
};

} // namespace vigil::vrrp
