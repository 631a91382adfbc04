#include "vrrp/instance.hpp"

#include <algorithm>
#include <utility>

namespace vigil::vrrp {
namespace {

template <class T> void earliest(std::optional<TimePoint>& best, const std::optional<T>& t) {
  if (t && (!best || *t < *best))
    best = *t;
}

bool due(const std::optional<TimePoint>& t, TimePoint now) {
  return t && *t <= now;
}

} // namespace

std::string_view to_string(State s) {
  switch (s) {
  case State::init:
    return "INIT";
  case State::backup:
    return "BACKUP";
  case State::master:
    return "MASTER";
  case State::fault:
    return "FAULT";
  }
  return "?";
}

std::string_view to_string(Reason r) {
  switch (r) {
  case Reason::startup:
    return "startup";
  case Reason::address_owner:
    return "address owner (priority 255)";
  case Reason::master_down_timer:
    return "no advert from a master within Master_Down_Interval";
  case Reason::priority_zero:
    return "the master resigned (priority 0)";
  case Reason::higher_priority:
    return "advert with higher priority";
  case Reason::preempted:
    return "preempted by a higher priority advert";
  case Reason::fault:
    return "fault";
  case Reason::fault_cleared:
    return "fault cleared";
  case Reason::shutdown:
    return "shutdown";
  case Reason::sync_group:
    return "sync group";
  case Reason::adopted:
    return "adopted from the previous run, which was master";
  }
  return "?";
}

Settings Settings::from_config(const core::config::VrrpInstance& c) {
  Settings s;
  s.name = c.name;
  s.family = c.family;
  s.version = c.version;
  s.vrid = c.virtual_router_id;
  s.priority = c.priority;
  s.advert_int = c.advert_int;
  s.down_timer_adverts = c.down_timer_adverts;
  s.initial_master = c.state == core::config::InitialState::master;
  s.preempt = c.preempt;
  s.preempt_delay = c.preempt_delay;
  switch (c.auth_type) {
  case core::config::AuthType::none:
    s.auth = Auth::none;
    break;
  case core::config::AuthType::pass:
    s.auth = Auth::simple;
    break;
  case core::config::AuthType::ah:
    s.auth = Auth::ah;
    break;
  }
  std::copy_n(c.auth_pass.begin(), std::min<std::size_t>(8, c.auth_pass.size()),
              s.auth_data.begin());
  for (const auto& v : c.virtual_ipaddress)
    s.vips.push_back(v.address.address);
  s.skip_check_adv_addr = c.skip_check_adv_addr;
  s.lower_prio_no_advert = c.lower_prio_no_advert;
  s.higher_prio_send_advert = c.higher_prio_send_advert;
  s.unicast = !c.unicast_peer.empty();
  s.peers = c.unicast_peer;
  s.check_unicast_src = c.check_unicast_src;
  s.checksum = c.v3_checksum == core::config::V3Checksum::message_only
                   ? ChecksumForm::message_only
                   : ChecksumForm::pseudo_header;
  s.garp_master_delay = c.garp.garp_master_delay;
  s.garp_master_repeat = c.garp.garp_master_repeat;
  s.garp_lower_prio_delay = c.garp.garp_lower_prio_delay;
  s.garp_lower_prio_repeat = c.garp.garp_lower_prio_repeat;
  s.garp_master_refresh = c.garp.garp_master_refresh;
  s.garp_master_refresh_repeat = c.garp.garp_master_refresh_repeat;
  return s;
}

Instance::Instance(Settings settings)
    : s_(std::move(settings)), priority_(s_.priority), master_adver_interval_(s_.advert_int) {
  sort_vips();
}

void Instance::sort_vips() {
  sorted_vips_ = s_.vips;
  std::sort(sorted_vips_.begin(), sorted_vips_.end());
}

// RFC 3768 6.1: Skew_Time = (256 - Priority) / 256 seconds.
// RFC 5798 / 9568 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
// Kept in nanoseconds: at priority 254 and 10 ms the skew is 78.125 us.
Duration Instance::skew_time() const {
  Duration base = s_.version == 2 ? Duration(std::chrono::seconds(1)) : master_adver_interval_;
  return base * (256 - priority_) / 256;
}

// Master_Down_Interval = 3 * interval + Skew_Time (keepalived's down_timer_adverts replaces 3).
Duration Instance::master_down_interval() const {
  Duration interval = s_.version == 2 ? s_.advert_int : master_adver_interval_;
  return interval * s_.down_timer_adverts + skew_time();
}

std::optional<TimePoint> Instance::next_deadline() const {
  std::optional<TimePoint> t;
  earliest(t, start_at_);
  earliest(t, adver_timer_);
  earliest(t, down_timer_);
  earliest(t, garp_second_burst_);
  earliest(t, garp_refresh_);
  return t;
}

void Instance::send_advert(Effects& fx, TimePoint now, std::uint8_t prio) {
  fx.push_back(SendAdvert{prio});
  ++counters_.adverts_tx;
  if (prio == 0)
    ++counters_.priority_zero_tx;
  if (state_ == State::master && prio != 0)
    adver_timer_ = now + s_.advert_int;
}

void Instance::become_master(Effects& fx, TimePoint now, Reason why,
                             std::optional<core::IpAddress> peer, std::uint8_t peer_prio) {
  State from = state_;
  state_ = State::master;
  down_timer_.reset();
  lower_master_seen_ = false;
  master_ = primary_;
  ++counters_.became_master;
  fx.push_back(Transition{from, State::master, why, peer, peer_prio});
  // RFC 9568 6.4.2 and 8.1.2: send an advert, configure the addresses, then announce them
  // (GARP / unsolicited NA). The rtnetlink change is applied synchronously by the kernel when
  // it is sent, so the addresses exist before the first GARP leaves.
  send_advert(fx, now, priority_);
  fx.push_back(AddVips{});
  fx.push_back(SendGarp{s_.garp_master_repeat});
  if (s_.garp_master_delay.count() > 0) {
    garp_second_burst_ = now + s_.garp_master_delay;
    garp_second_rounds_ = s_.garp_master_repeat;
  }
  if (s_.garp_master_refresh.count() > 0)
    garp_refresh_ = now + s_.garp_master_refresh;
}

void Instance::become_backup(Effects& fx, TimePoint now, Reason why,
                             std::optional<core::IpAddress> peer, std::uint8_t peer_prio) {
  State from = state_;
  bool was_master = from == State::master;
  state_ = State::backup;
  adver_timer_.reset();
  garp_second_burst_.reset();
  garp_refresh_.reset();
  fx.push_back(Transition{from, State::backup, why, peer, peer_prio});
  if (was_master) {
    ++counters_.released_master;
    fx.push_back(DelVips{});
  }
  Duration wait = master_down_interval();
  // keepalived's preempt_delay: at startup (and after a fault) the first takeover waits longer.
  if (why == Reason::startup || why == Reason::fault_cleared)
    wait += s_.preempt_delay;
  if (why == Reason::startup)
    wait += std::exchange(start_stagger_, Duration{0});
  down_timer_ = now + wait;
}

void Instance::become_fault(Effects& fx, TimePoint now) {
  State from = state_;
  if (from == State::master) {
    // Resign so the backup takes over after Skew_Time, unless the link itself is gone.
    if (!(faults_ & (1u << unsigned(FaultKind::link_down))))
      send_advert(fx, now, 0);
    ++counters_.released_master;
  }
  state_ = State::fault;
  adver_timer_.reset();
  down_timer_.reset();
  garp_second_burst_.reset();
  garp_refresh_.reset();
  master_.reset();
  fx.push_back(Transition{from, State::fault, Reason::fault, {}, 0});
  if (from == State::master)
    fx.push_back(DelVips{});
}

Effects Instance::start(TimePoint now, Duration startup_delay, Duration stagger) {
  Effects fx;
  start_stagger_ = stagger;
  if (startup_delay.count() > 0) {
    start_at_ = now + startup_delay;
    return fx;
  }
  start_at_.reset();
  if (faults_ != 0) {
    become_fault(fx, now);
  } else if (owner()) {
    become_master(fx, now, Reason::address_owner);
  } else {
    // keepalived 2.2.7 behaviour: `state MASTER` below 255 also starts as BACKUP and takes
    // over when its Master_Down_Interval expires (RFC 9568 6.4.1).
    become_backup(fx, now, Reason::startup);
  }
  return fx;
}

Effects Instance::adopt(TimePoint now) {
  Effects fx;
  start_at_.reset();
  if (faults_ != 0)
    become_fault(fx, now);
  else
    become_master(fx, now, Reason::adopted);
  return fx;
}

Drop Instance::validate(const Received& r) const {
  const Advert& a = r.advert;
  if (a.version != s_.version)
    return Drop::version_mismatch;
  if (r.src.family() != s_.family)
    return Drop::family_mismatch;
  if (s_.unicast == r.to_multicast)
    return Drop::unicast_mismatch;
  const core::config::UnicastPeer* peer = nullptr;
  for (const auto& p : s_.peers)
    if (p.address == r.src)
      peer = &p;
  if (s_.unicast) {
    if (s_.check_unicast_src && !peer)
      return Drop::not_a_peer;
    // keepalived checks the TTL of unicast adverts only against configured bounds.
    if (peer &&
        ((peer->min_ttl && r.ttl < *peer->min_ttl) || (peer->max_ttl && r.ttl > *peer->max_ttl)))
      return Drop::bad_ttl;
  } else if (r.ttl != required_ttl) {
    return Drop::bad_ttl;
  }
  if (a.version == 2) {
    if (a.auth != s_.auth)
      return Drop::auth_mismatch;
    if (a.auth == Auth::simple && a.auth_data != s_.auth_data)
      return Drop::auth_mismatch;
    // RFC 3768 7.1: a v2 backup discards adverts with another interval.
    auto ours = std::chrono::duration_cast<std::chrono::seconds>(s_.advert_int).count();
    if (a.interval != ours)
      return Drop::interval_mismatch;
  } else {
    if (a.interval == 0)
      return Drop::zero_interval;
    if (a.addresses.empty() && !s_.vips.empty())
      return Drop::zero_count;
  }
  bool skip = s_.skip_check_adv_addr && master_ && *master_ == r.src;
  if (!skip && !addresses_match(a.addresses))
    return Drop::address_mismatch;
  return Drop::none;
}

bool Instance::addresses_match(const std::vector<core::IpAddress>& got) const {
  if (got.size() != s_.vips.size())
    return false;
  if (got == s_.vips) // the usual case: the peer lists them in the same order
    return true;
  std::vector<core::IpAddress> a = got;
  std::sort(a.begin(), a.end());
  return a == sorted_vips_;
}

Effects Instance::receive(const Received& r, TimePoint now) {
  Effects fx;
  ++counters_.adverts_rx;
  Drop d = validate(r);
  if (d != Drop::none)
    ++counters_.drops[std::size_t(d)];
  // RFC 9568 7.1: a v3 address list that differs from ours is logged, not dropped. Otherwise a
  // reload that changes the VIPs on one node before the other would make a backup take over
  // from a live master (and a master ignore a better one).
  if (d != Drop::none && !(d == Drop::address_mismatch && s_.version == 3))
    return fx;
  const Advert& a = r.advert;
  PeerInfo& peer = peers_[r.src];
  ++peer.adverts;
  peer.last_priority = a.priority;
  if (a.version == 3 && r.src.is_v4())
    ++(r.form == ChecksumForm::pseudo_header ? peer.checksum_pseudo_header
                                             : peer.checksum_message_only);
  if (a.priority == 0)
    ++counters_.priority_zero_rx;
  Duration their_interval = a.version == 2 ? Duration(std::chrono::seconds(a.interval))
                                           : Duration(std::chrono::milliseconds(10) * a.interval);

  switch (state_) {
  case State::init:
  case State::fault:
    break; // not participating
  case State::backup: {
    if (a.version == 3 && a.priority != 0 && (!s_.preempt || a.priority >= priority_))
      master_adver_interval_ = their_interval; // learn (RFC 9568 6.4.2)
    // Timers restart on receipt (RFC 9568 6.4.2), i.e. when the kernel got the advert. The
    // correction is bounded by (down_timer_adverts - 1) intervals (one at least): a packet
    // that waited longer (a stalled loop, a clock step) still leaves one interval plus the
    // skew, so the timer is never set in the past and a live master is not overthrown. (A
    // paced socket is read every 5 ms, and a loaded machine can hold the loop for several ms
    // more: at 10 ms adverts a bound of one interval made takeovers late.)
    Duration interval = s_.version == 2 ? s_.advert_int : master_adver_interval_;
    Duration bound = interval * std::max<std::uint32_t>(1, s_.down_timer_adverts - 1);
    TimePoint arrived = now - std::clamp(r.age, Duration{0}, bound);
    if (a.priority == 0) {
      // RFC 9568 6.4.2: the master resigned; take over after Skew_Time.
      down_timer_ = std::max(arrived + skew_time(), now);
    } else if (!s_.preempt || a.priority >= priority_) {
      master_ = r.src;
      lower_master_seen_ = false;
      down_timer_ = arrived + master_down_interval();
    } else if (!lower_master_seen_) {
      // A lower priority master: let the down timer expire (preempt), delayed by preempt_delay.
      lower_master_seen_ = true;
      master_ = r.src;
      if (s_.preempt_delay.count() > 0) {
        TimePoint later = arrived + master_down_interval() + s_.preempt_delay;
        if (!down_timer_ || *down_timer_ < later)
          down_timer_ = later;
      }
    }
    break;
  }
  case State::master: {
    if (a.priority == 0) {
      // RFC 9568 6.4.3: another master resigned; assert ourselves at once.
      send_advert(fx, now, priority_);
      break;
    }
    bool higher =
        a.priority > priority_ || (a.priority == priority_ && primary_ && r.src > *primary_);
    if (higher) {
      if (s_.higher_prio_send_advert)
        send_advert(fx, now, priority_);
      if (a.version == 3)
        master_adver_interval_ = their_interval;
      become_backup(fx, now, Reason::preempted, r.src, a.priority);
      master_ = r.src;
    } else if (!s_.lower_prio_no_advert) {
      // RFC 9568 6.4.3: a lower priority master exists: re-advertise immediately, and
      // re-announce the addresses (keepalived's garp_lower_prio_*) so switches learn us again.
      send_advert(fx, now, priority_);
      // At most one burst per garp_lower_prio_delay (or interval): a lower master that keeps
      // advertising must not turn us into a GARP storm.
      Duration gap = std::max(s_.garp_lower_prio_delay, s_.advert_int);
      if (s_.garp_lower_prio_repeat > 0 &&
          (!last_lower_prio_garp_ || now - *last_lower_prio_garp_ >= gap)) {
        last_lower_prio_garp_ = now;
        fx.push_back(SendGarp{s_.garp_lower_prio_repeat});
        if (s_.garp_lower_prio_delay.count() > 0 && !garp_second_burst_) {
          garp_second_burst_ = now + s_.garp_lower_prio_delay;
          garp_second_rounds_ = s_.garp_lower_prio_repeat;
        }
      }
    }
    break;
  }
  }
  return fx;
}

Effects Instance::tick(TimePoint now) {
  Effects fx;
  if (due(start_at_, now)) {
    start_at_.reset();
    fx = start(now);
  }
  if (state_ == State::backup && due(down_timer_, now)) {
    down_timer_.reset();
    Reason why = Reason::master_down_timer;
    auto it = master_ ? peers_.find(*master_) : peers_.end();
    if (it != peers_.end() && it->second.last_priority == 0)
      why = Reason::priority_zero;
    become_master(fx, now, why);
  }
  if (state_ == State::master) {
    if (due(adver_timer_, now)) {
      // Keep the cadence: the next advert is due one interval after this one was *due*, not
      // after the late wake-up that sent it, so wake-up latency does not accumulate.
      TimePoint next = *adver_timer_ + s_.advert_int;
      send_advert(fx, now, priority_);
      if (next > now)
        adver_timer_ = next;
    }
    if (due(garp_second_burst_, now)) {
      garp_second_burst_.reset();
      fx.push_back(SendGarp{garp_second_rounds_});
    }
    if (due(garp_refresh_, now)) {
      fx.push_back(SendGarp{s_.garp_master_refresh_repeat});
      garp_refresh_ = now + s_.garp_master_refresh;
    }
  }
  return fx;
}

Effects Instance::shutdown(TimePoint now) {
  Effects fx;
  State from = state_;
  if (from == State::master) {
    send_advert(fx, now, 0); // RFC 9568 6.4.3 Shutdown: advert with priority 0
    fx.push_back(DelVips{});
    ++counters_.released_master;
  }
  state_ = State::init;
  start_at_.reset();
  adver_timer_.reset();
  down_timer_.reset();
  garp_second_burst_.reset();
  garp_refresh_.reset();
  if (from != State::init)
    fx.push_back(Transition{from, State::init, Reason::shutdown, {}, 0});
  return fx;
}

Effects Instance::set_fault(FaultKind kind, bool active, TimePoint now) {
  Effects fx;
  unsigned bit = 1u << unsigned(kind);
  unsigned before = faults_;
  faults_ = active ? (faults_ | bit) : (faults_ & ~bit);
  if (state_ == State::init)
    return fx; // not started yet: start() looks at faults_
  if (before == 0 && faults_ != 0) {
    become_fault(fx, now);
  } else if (before != 0 && faults_ == 0) {
    if (owner())
      become_master(fx, now, Reason::fault_cleared);
    else
      become_backup(fx, now, Reason::fault_cleared);
  }
  return fx;
}

Effects Instance::sync_to(State target, TimePoint now) {
  Effects fx;
  if (state_ == target || state_ == State::init || state_ == State::fault)
    return fx;
  if (target == State::master)
    become_master(fx, now, Reason::sync_group);
  else if (target == State::backup)
    become_backup(fx, now, Reason::sync_group);
  return fx;
}

Effects Instance::reconfigure(Settings next, TimePoint now) {
  Effects fx;
  bool advertised_changes = next.vips != s_.vips || next.advert_int != s_.advert_int ||
                            next.auth != s_.auth || next.auth_data != s_.auth_data ||
                            next.checksum != s_.checksum || next.peers != s_.peers;
  Duration old_interval = s_.advert_int;
  s_ = std::move(next);
  sort_vips();
  // Not learned from a master yet (or v2, where it is never learned): ours is the new one.
  if (master_adver_interval_ == old_interval)
    master_adver_interval_ = s_.advert_int;
  if (state_ != State::master)
    return fx; // a backup's down timer, a fault's conditions: untouched
  if (advertised_changes) {
    send_advert(fx, now, priority_); // RFC 9568 6.4.3 cadence restarts from here
  } else if (adver_timer_ && *adver_timer_ > now + s_.advert_int) {
    adver_timer_ = now + s_.advert_int;
  }
  if (s_.garp_master_refresh.count() == 0)
    garp_refresh_.reset();
  else if (!garp_refresh_ || *garp_refresh_ > now + s_.garp_master_refresh)
    garp_refresh_ = now + s_.garp_master_refresh;
  return fx;
}

Effects Instance::set_priority(std::uint8_t effective, TimePoint now) {
  Effects fx;
  if (owner() || effective == priority_)
    return fx;
  priority_ = std::clamp<std::uint8_t>(effective, 1, 254);
  // A master advertises its new priority at once so a better backup can preempt.
  if (state_ == State::master)
    send_advert(fx, now, priority_);
  return fx;
}

} // namespace vigil::vrrp
