#include "daemon/vrrp_subsystem.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/digest.hpp"
#include "core/io/file_watch.hpp"
#include "core/io/interfaces.hpp"
#include "core/io/process.hpp"
#include "daemon/garp.hpp"
#include "daemon/identity.hpp"
#include "daemon/notifier.hpp"
#include "daemon/snmp_agent.hpp"
#include "daemon/state_file.hpp"
#include "daemon/trackers.hpp"
#include "daemon/vmac.hpp"
#include "daemon/vrrp_net.hpp"
#include "daemon/vrrp_runner.hpp"
#include "daemon/vrrp_status.hpp"
#include "vrrp/ah.hpp"
#include "vrrp/announce.hpp"
#include "vrrp/instance.hpp"
#include "vrrp/io/socket.hpp"
#include "vrrp/reload.hpp"

namespace vigil::daemon {

using namespace core::io; // the process runner and the SMTP client
namespace {

namespace asio = boost::asio;
using core::Clock;
using core::config::VrrpInstance;
using namespace std::chrono_literals;

template <class... F> struct overloaded : F... { using F::operator()...; };
template <class... F> overloaded(F...) -> overloaded<F...>;

class VrrpSubsystem final : public Subsystem {
public:
  VrrpSubsystem(asio::io_context& ctx, const Logs& logs, core::io::Interfaces& ifs,
                ProcessRunner& runner, Notifier& notifier, SnmpAgent& snmp,
                const std::string& state_path, bool link_layer_adverts)
      : link_layer_adverts_(link_layer_adverts), ctx_(ctx), logs_(logs), log_(*logs.vrrp),
        ifs_(ifs), runner_(runner), net_(ifs, *logs.vrrp), vmacs_(ifs, net_, *logs.vrrp),
        garps_(ctx, ifs, *logs.vrrp), files_(ctx),
        trackers_(ctx, *logs.vrrp, ifs, files_, runner,
                  [this](const core::config::Command& c) {
                    return script_identity(config_->global_defs, c, log_);
                  }),
        notifier_(notifier), snmp_(snmp), wake_(ctx), state_(state_path, *logs.vrrp),
        state_timer_(ctx) {
    trackers_.on_change = [this] { reevaluate_all(); };
  }

  ~VrrpSubsystem() override { *alive_ = false; } // a posted drain() finds it gone

  std::string_view name() const override { return "vrrp"; }

  void start(const core::config::ConfigPtr& config) override {
    config_ = config;
    ifs_.on_link.add([this](const core::io::Link& l, bool removed) { link_changed(l, removed); });
    ifs_.on_address.add(
        [this](const core::io::Address& a, bool removed) { address_changed(a, removed); });
    net_.statics(*config, true);
    trackers_.configure(*config);
    previous_ = state_.previous(); // a crashed predecessor's masters may be adopted
    start_instances(config->vrrp_instances);
    previous_.reset();
    save_state();
    reevaluate_all();
  }

  void reload(const core::config::ConfigPtr& next, const core::config::ConfigDiff&) override {
    // Instances match by name, else by VRID + family + interface (vrrp/reload.hpp). An
    // unchanged one is not touched; a changed one is reconfigured in place (a master stays
    // master, its adverts keep their cadence, VIPs that stay never leave the interface) unless
    // what changed is its identity or transport, which is a clean stop and start of that
    // instance alone.
    std::vector<const VrrpInstance*> running;
    for (const auto& r : runners_)
      running.push_back(&r->cfg);
    auto plan = vrrp::plan_reload(running, next->vrrp_instances);
    using Kind = vrrp::InstanceMatch::Kind;
    std::vector<VrrpInstance> added;
    Runners kept;
    std::vector<std::pair<std::shared_ptr<Runner>, VrrpInstance>> changed;
    for (std::size_t n = 0; n < plan.next.size(); ++n) {
      const auto& m = plan.next[n];
      const VrrpInstance& c = next->vrrp_instances[n];
      if (m.kind == Kind::added) {
        added.push_back(c);
        continue;
      }
      auto& r = runners_[*m.running];
      if (m.kind == Kind::unchanged) {
        kept.push_back(std::move(r));
      } else if (m.kind == Kind::restart) {
        log_.info("({}) {} changed, which cannot change in place: restarting the instance", c.name,
                  m.reason);
        r->removed = true;
        stop_runner(*r);
        r.reset();
        added.push_back(c);
      } else {
        changed.emplace_back(r, c);
        kept.push_back(std::move(r));
      }
    }
    for (std::size_t k : plan.removed) {
      auto& r = runners_[k];
      log_.info("({}) removed by the reload; stopping it", r->name());
      r->removed = true;
      stop_runner(*r);
    }
    runners_ = std::move(kept);
    index_dirty_ = true;
    net_.reload_statics(*config_, *next);
    config_ = next;
    collect_vips();
    trackers_.configure(*next);
    for (auto& [r, c] : changed)
      reconfigure(*r, std::move(c));
    start_instances(added);
    reevaluate_all();
  }

  asio::awaitable<void> stop() override {
    stopping_ = true;
    trackers_.stop();
    for (auto& r : runners_)
      stop_runner(*r);
    while (!deferred_.empty()) // every instance's addresses go now, in order
      run_deferred();
    if (config_)
      for (const auto& g : config_->sync_groups)
        snmp_.sync_group_state(g.name, SnmpVrrpState::shutdown);
    state_.remove(); // a graceful stop hands over (priority 0): nothing for a successor to adopt
    if (config_)
      net_.statics(*config_, false);
    // VMACs go with vigild, also those a crashed run left and this one reused.
    for (auto& r : runners_)
      if (r->cfg.use_vmac)
        vmacs_.remove("(" + r->name() + ")", vmac_name(*r));
    vmacs_.restore_sysctls();
    // Wait for the kernel to confirm the address removals (the caller bounds this).
    asio::steady_timer t(ctx_);
    while (net_.pending() > 0) {
      t.expires_after(5ms);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    receivers_.clear();
    sockets_.clear();
  }

  std::string state_json() const override { return json_of_parts(); }

  void state_parts(std::vector<JsonPart>& parts) const override {
    vrrp_state_parts(parts, runners_, trackers_, config_, socket_drops_);
  }

  void metrics(std::vector<MetricPart>& parts) const override {
    vrrp_metric_parts(parts, runners_, trackers_, socket_drops_);
  }

private:
  // --- lifecycle -------------------------------------------------------------------------------

  /// Every VIP of the configuration: never taken for an interface's primary address.
  void collect_vips() {
    all_vips_.clear();
    for (const auto& c : config_->vrrp_instances) {
      for (const auto& v : c.virtual_ipaddress)
        all_vips_.insert(v.address.address);
      for (const auto& v : c.virtual_ipaddress_excluded)
        all_vips_.insert(v.address.address);
    }
  }

  /// Reload in place: the new settings go to the state machine (state, timers and counters
  /// stay); on a node that holds the VIPs, only the difference is applied: new addresses,
  /// routes and rules are added (and announced), gone ones removed, changed attributes replaced
  /// (RTM_NEWADDR with NLM_F_REPLACE), so an address that stays never leaves the interface.
  void reconfigure(Runner& r, VrrpInstance c) {
    auto now = Clock::now();
    log_.info("({}) reconfigured in place: {}", c.name, vrrp::changed_keywords(r.cfg, c));
    if (r.cfg.name != c.name)
      log_.info("({}) was {} before the reload", c.name, r.cfg.name);
    VrrpInstance old = std::exchange(r.cfg, std::move(c));
    r.config_hash = hash_of(r.cfg);
    save_state();
    std::set<core::IpAddress> announce;
    if (r.vips_present) {
      const std::string who = "(" + r.name() + ")";
      auto routes = vrrp::diff_routes(old, r.cfg);
      auto addresses = vrrp::diff_addresses(placed_vips(r, old), placed_vips(r, r.cfg));
      net_.routes_rules(who, routes.routes_gone, routes.rules_gone, false);
      for (const auto& [spec, ifindex] : addresses.remove)
        net_.address(who, false, spec, ifindex);
      for (const auto& [spec, ifindex] : addresses.unplaced)
        log_.error("({}) cannot add {}: interface {} does not exist", r.name(),
                   spec.address.to_string(), spec.dev.value_or(r.cfg.interface.value_or("?")));
      for (const auto& [spec, ifindex] : addresses.add)
        net_.address(who, true, spec, ifindex); // NLM_F_REPLACE: changed attributes in place
      net_.routes_rules(who, routes.routes_new, routes.rules_new, true);
      announce = std::move(addresses.announce);
    }
    execute(r, r.fsm.reconfigure(vrrp::Settings::from_config(r.cfg), now));
    // keepalived: GARP / unsolicited NA only for the addresses a reload added.
    if (!announce.empty())
      send_garp(r, r.cfg.garp.garp_master_repeat, &announce);
    if (const auto* link = r.ifindex ? ifs_.find(r.ifindex) : nullptr) {
      bool down = !link->up() && !r.cfg.dont_track_primary;
      bool vmac_missing = r.cfg.use_vmac && r.vmac_ifindex == 0;
      execute(r, r.fsm.set_fault(vrrp::FaultKind::link_down, down || vmac_missing, now));
    }
    update_source(r);
    rearm(r);
  }

  static std::string hash_of(const VrrpInstance& c) {
    core::config::Config one;
    one.vrrp_instances.push_back(c);
    auto text = core::config::to_json(one);
    return core::to_hex(
        core::sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
  }

  /// Restart without failover. The previous process (killed, crashed) was MASTER of this very
  /// instance and refreshed its state file so recently that no backup can have taken over yet:
  /// the latest any backup takes over is down_timer_adverts intervals plus a skew below one
  /// interval after the last advert. Its VIPs must still be in place. Then this process
  /// advertises at once instead of removing them and waiting in BACKUP. (Should a backup have
  /// taken over after all, the adverts sort it out as for any two masters within one interval.)
  bool adoptable(const Runner& r) {
    if (!previous_)
      return false;
    const SavedInstance* saved = nullptr;
    for (const auto& s : previous_->instances)
      if (s.name == r.name())
        saved = &s;
    if (!saved || saved->state != "MASTER")
      return false;
    auto no = [&](const std::string& why) {
      log_.info("({}) the previous run was MASTER, not adopting it: {}", r.name(), why);
      return false;
    };
    if (saved->config_hash != r.config_hash)
      return no("the instance's configuration changed");
    const auto& c = r.cfg;
    core::Duration latest = c.advert_int * c.down_timer_adverts + c.advert_int * 255 / 256;
    auto age = std::chrono::duration_cast<core::Duration>(previous_->age);
    auto secs = [](core::Duration d) { return std::chrono::duration<double>(d).count(); };
    if (age < core::Duration{0} || age >= latest)
      return no(fmt::format("it was last heard {:.3f} s ago, the backups take over after {:.3f} s",
                            secs(age), secs(latest)));
    auto vips = placed_vips(r, r.cfg);
    bool all_there = std::all_of(vips.begin(), vips.end(), [&](const auto& v) {
      return v.ifindex > 0 && ifs_.has_address(v.ifindex, v.spec.address.address);
    });
    if (!all_there)
      return no("its addresses are no longer on the interfaces");
    log_.info("({}) adopting MASTER from the previous run (last heard {:.3f} s ago, addresses in "
              "place): advertising at once",
              r.name(), secs(age));
    return true;
  }

  /// The state file follows every transition: written once for however many happen
  /// together, and at most every state_write_spacing (a takeover storm of 1,000 instances
  /// spreads over many loop turns; each write renders every instance). A crash within that
  /// window leaves the previous states: a successor then adopts too little (safe) or, for an
  /// instance that had just yielded, advertises once before the better master's advert
  /// makes it yield again.
  static constexpr auto state_write_spacing = std::chrono::milliseconds(20);

  void save_state() {
    if (state_write_pending_ || stopping_)
      return;
    state_write_pending_ = true;
    state_timer_.expires_at(std::max(last_state_write_ + state_write_spacing, Clock::now()));
    state_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec)
        return;
      state_write_pending_ = false;
      if (stopping_)
        return;
      last_state_write_ = Clock::now();
      std::vector<SavedInstance> list;
      for (const auto& r : runners_)
        if (r && !r->stopped)
          list.push_back({r->name(), r->cfg.virtual_router_id,
                          r->cfg.family == core::Family::inet ? "inet" : "inet6",
                          r->cfg.interface.value_or(""),
                          std::string(vrrp::to_string(r->fsm.state())), r->config_hash});
      state_.write(list);
    });
  }

  void start_instances(const std::vector<VrrpInstance>& configs) {
    collect_vips();
    auto now = Clock::now();
    std::vector<Runner*> started;
    std::set<Runner*> adopted;
    index_dirty_ = true;
    for (const auto& c : configs) {
      runners_.push_back(std::make_shared<Runner>(c));
      Runner& r = *runners_.back();
      r.config_hash = hash_of(c);
      bind_interface(r);
      if (adoptable(r))
        adopted.insert(&r);
      else
        remove_stale_vips(r);
      started.push_back(&r);
    }
    // Instances started together would take over together and then advertise in the same
    // instant for as long as they run (a takeover keeps the old master's phases), 1,000
    // packets at once. Their first takeovers are spread over `stagger_slots` equal slots of
    // their advert interval (of 0.1 s at most): later their adverts, and the peer's
    // master-down timers, come in that many groups per interval. A group shares one wake-up
    // and one sendmmsg per socket, and its peer reads it in one go.
    std::size_t k = 0;
    for (auto& rp : runners_) {
      Runner* r = rp.get();
      if (std::find(started.begin(), started.end(), r) == started.end())
        continue;
      if (adopted.count(r)) {
        execute(*r, r->fsm.adopt(now));
        continue;
      }
      auto slot = k++ % stagger_slots;
      auto stagger = std::min<core::Duration>(r->cfg.advert_int, 100ms) * slot / stagger_slots;
      execute(*r, r->fsm.start(now, config_->global_defs.vrrp_startup_delay, stagger));
    }
  }

  void stop_runner(Runner& r) {
    if (r.stopped)
      return;
    execute(r, r.fsm.shutdown(Clock::now()));
    flush_adverts();
    r.stopped = true;
    index_dirty_ = true;
    unqueue(r);
  }

  /// A previous run (or a crash) may have left this instance's addresses behind; a backup must
  /// not hold them. If this node becomes master it adds them again.
  void remove_stale_vips(Runner& r) {
    if (r.fsm.settings().priority == 255)
      return; // the owner is master at once anyway
    for (const auto& [spec, ifindex] : placed_vips(r, r.cfg))
      if (ifindex > 0 && ifs_.has_address(ifindex, spec.address.address)) {
        log_.info("({}) removing {} left on the interface by a previous run", r.name(),
                  spec.address.to_string());
        net_.address("(" + r.name() + ")", false, spec, ifindex);
      }
  }

  // --- the deadline queue ---------------------------------------------------------------------
  // Every instance's next deadline (advert, master-down, GARP bursts) sits in one ordered set
  // under one timer, not a timer and a coroutine each: 1,000 masters at 0.1 s are 10,000
  // deadlines a second. A master's deadlines are queued rounded up to the next whole
  // `wake_grid` of the steady clock: its adverts keep their exact cadence (its deadlines are
  // one interval apart, and so are their roundings) while the masters whose deadlines fall
  // within the same grid step are served by one wake-up, their adverts sent together
  // (sendmmsg per socket). Other deadlines (a backup's Master_Down_Interval, a start) are
  // queued exact: rounding would delay a takeover. A wake-up also serves every deadline that
  // comes due while it works.
  static constexpr core::Duration wake_grid = std::chrono::milliseconds(1);
  static constexpr std::size_t stagger_slots = 20; ///< see start_instances()

  static Clock::time_point grid_ceil(Clock::time_point t) {
    auto since = t.time_since_epoch();
    auto steps = (since + wake_grid - core::Duration(1)) / wake_grid;
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(steps * wake_grid));
  }

  void unqueue(Runner& r) {
    if (r.queued_at)
      due_.erase({*r.queued_at, &r});
    r.queued_at.reset();
  }

  /// Puts the instance under its current deadline (after anything that may have changed it).
  void rearm(Runner& r) {
    if (r.stopped)
      return;
    auto d = r.fsm.next_deadline();
    if (d && r.fsm.state() == vrrp::State::master)
      d = grid_ceil(*d);
    if (d == r.queued_at)
      return;
    unqueue(r);
    if (!d)
      return;
    r.queued_at = d;
    due_.emplace(*d, &r);
    arm();
  }

  /// Sets the timer when the earliest deadline needs an earlier wake-up than the one set; a
  /// wake-up that finds nothing due (its deadline moved later) just sets the next one.
  void arm() {
    if (due_.empty())
      return;
    auto at = due_.begin()->first;
    if (at >= armed_)
      return;
    armed_ = at;
    wake_.expires_at(at);
    wake_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec)
        on_wake();
    });
  }

  void on_wake() {
    armed_ = Clock::time_point::max();
    serve_due();
    drain();
    arm();
  }

  /// Ticks every instance whose deadline has come. Adverts go first, all of them, one
  /// sendmmsg per socket; the instances' other effects (addresses, GARPs, logs, scripts)
  /// queue behind in `deferred_` (1,000 takeovers at once: every backup advertises at its
  /// Master_Down_Interval, the addresses follow).
  void serve_due() {
    // A paced socket (VrrpSocket::polling) is read first: an advert that arrived before a
    // master-down deadline must count before that deadline is judged.
    for (auto* sock : receivers_)
      if (sock->polling())
        sock->poll();
    ++serve_round_;
    batching_ = true;
    for (;;) {
      // Those due by now, each once per call (a master far behind its cadence stays due).
      auto now = Clock::now();
      batch_.clear();
      for (auto it = due_.begin(); it != due_.end() && it->first <= now;) {
        Runner* r = it->second;
        if (r->served_round == serve_round_) {
          ++it;
          continue;
        }
        r->served_round = serve_round_;
        r->queued_at.reset();
        it = due_.erase(it);
        batch_.push_back(r);
      }
      if (batch_.empty())
        break;
      // Instances of a wake-up cannot go away under it (reloads and stops are other handlers).
      for (Runner* r : batch_)
        if (!r->stopped)
          execute(*r, r->fsm.tick(now)); // adverts queued, the rest deferred; requeues it
    }
    batching_ = false;
    flush_adverts();
  }

  /// Runs deferred effects in order, a few at a time between other work: a deadline that
  /// comes meanwhile is served first (its adverts must not wait for other instances' address
  /// changes), and packets are read between rounds.
  void drain() {
    for (int n = 0; !deferred_.empty(); ++n) {
      if (!due_.empty() && due_.begin()->first <= Clock::now())
        serve_due();
      if (n == 8) {
        if (!drain_posted_) {
          drain_posted_ = true;
          asio::post(ctx_, [this, alive = alive_] {
            if (!*alive)
              return;
            drain_posted_ = false;
            drain();
            arm();
          });
        }
        return;
      }
      run_deferred();
    }
  }

  void run_deferred() {
    auto [r, fx] = std::move(deferred_.front());
    deferred_.pop_front();
    --r->deferred;
    apply(*r, fx);
  }

  /// Sends the adverts queued by this wake-up, one sendmmsg per socket.
  void flush_adverts() {
    for (auto* sock : pending_sockets_)
      sock->flush();
    pending_sockets_.clear();
  }

  // --- interfaces and addresses -------------------------------------------------------------

  void bind_interface(Runner& r) {
    auto now = Clock::now();
    index_dirty_ = true;
    const core::io::Link* link = r.cfg.interface ? ifs_.find(*r.cfg.interface) : nullptr;
    r.ifindex = link ? link->index : 0;
    r.socket = nullptr;
    if (!link) {
      log_.error("({}) interface {} does not exist; the instance stays in FAULT until it "
                 "appears",
                 r.name(), r.cfg.interface.value_or("?"));
      r.fsm.set_fault(vrrp::FaultKind::link_down, true, now);
      return;
    }
    try {
      r.socket = &socket_for(link->index, link->name, r.cfg.family, true,
                             r.ah() ? vrrp::io::Transport::ah : vrrp::io::Transport::vrrp);
      if (r.cfg.unicast_peer.empty())
        r.socket->join(r.cfg.mcast_dst_ip);
    } catch (const std::exception& e) {
      log_.error("({}) cannot open the VRRP socket on {}: {}", r.name(), link->name, e.what());
      r.socket = nullptr;
    }
    r.tx_socket = r.socket;
    bool vmac_missing = r.cfg.use_vmac && !bind_vmac(r, *link);
    bool down = !link->up() && !r.cfg.dont_track_primary;
    execute(r, r.fsm.set_fault(vrrp::FaultKind::link_down, down || !r.socket || vmac_missing, now));
    update_source(r);
  }

  std::string vmac_name(const Runner& r) const {
    return r.cfg.use_vmac->name.value_or("vrrp." + std::to_string(r.cfg.virtual_router_id));
  }

  /// use_vmac: a macvlan with the virtual MAC (RFC 5798 7.3) on the instance's interface,
  /// created when missing (a previous run's is reused). Its VIPs live on it and, unless
  /// vmac_xmit_base, adverts leave through it so switches learn the virtual MAC. Returns
  /// false while it does not exist yet (its creation is reported by a link event).
  bool bind_vmac(Runner& r, const core::io::Link& parent) {
    std::string name = vmac_name(r);
    auto mac =
        r.cfg.use_vmac->mac.value_or(vrrp::virtual_mac(r.cfg.family, r.cfg.virtual_router_id));
    const auto* vm = vmacs_.ensure("(" + r.name() + ")", name, parent, mac);
    if (!vm) {
      r.vmac_ifindex = 0;
      return false;
    }
    r.vmac_ifindex = vm->index;
    if (!r.cfg.use_vmac->xmit_base) {
      try {
        r.tx_socket = &socket_for(vm->index, name, r.cfg.family, false,
                                  r.ah() ? vrrp::io::Transport::ah : vrrp::io::Transport::vrrp);
      } catch (const std::exception& e) {
        log_.error("({}) cannot open the VRRP socket on {}: {}", r.name(), name, e.what());
      }
    }
    return vm->flags & IFF_UP;
  }

  /// One socket per interface, family and transport (VRRP, or VRRP behind IPsec AH).
  vrrp::io::VrrpSocket& socket_for(int ifindex, const std::string& ifname, core::Family f,
                                   bool receive = true,
                                   vrrp::io::Transport t = vrrp::io::Transport::vrrp) {
    auto key = SocketKey(ifindex, f, t);
    auto it = sockets_.find(key);
    if (it != sockets_.end())
      return *it->second;
    auto s = std::make_unique<vrrp::io::VrrpSocket>(ctx_, log_, ifindex, ifname, f, t,
                                                    link_layer_adverts_);
    auto* raw = s.get();
    if (receive && t == vrrp::io::Transport::ah)
      s->start([this, raw](const vrrp::io::Packet& p) { received_ah(*raw, p); });
    else if (receive)
      s->start([this, raw](const vrrp::io::Packet& p) { received(*raw, p); });
    else
      s->discard_input(); // a VMAC socket only sends; the parent's socket receives
    if (receive)
      receivers_.push_back(raw);
    sockets_.emplace(key, std::move(s));
    return *raw;
  }

  std::optional<core::IpAddress> primary(int ifindex, core::Family f) const {
    for (const auto& a : ifs_.addresses(ifindex)) {
      if (a.address.family() != f || all_vips_.count(a.address))
        continue;
      if (f == core::Family::inet ? a.secondary() : (!a.address.is_link_local() || a.tentative()))
        continue;
      return a.address;
    }
    return std::nullopt;
  }

  void update_source(Runner& r) {
    if (r.ifindex == 0)
      return;
    auto now = Clock::now();
    std::optional<core::IpAddress> src =
        r.cfg.src_ip ? r.cfg.src_ip : primary(r.ifindex, r.cfg.family);
    bool src_missing = false;
    if (r.cfg.src_ip && r.cfg.track_src_ip) {
      src_missing = true;
      for (const auto& [key, s] : sockets_)
        if (ifs_.has_address(std::get<0>(key), *r.cfg.src_ip))
          src_missing = false;
      if (ifs_.has_address(r.ifindex, *r.cfg.src_ip))
        src_missing = false;
    }
    if (src != r.source) {
      if (src)
        log_.info("({}) using source address {}", r.name(), src->to_string());
      else
        log_.warn("({}) interface {} has no usable {} address", r.name(),
                  r.cfg.interface.value_or("?"),
                  r.cfg.family == core::Family::inet ? "IPv4" : "IPv6 link-local");
    }
    r.source = src;
    r.fsm.set_primary_address(src);
    bool no_peer = r.cfg.unicast_fault_no_peer && r.cfg.unicast_peer.empty();
    execute(r, r.fsm.set_fault(vrrp::FaultKind::no_source_address, !src || src_missing || no_peer,
                               now));
  }

  /// Re-applies every instance's trackers (fault and effective priority).
  void reevaluate_all() {
    for (auto& rp : runners_)
      if (!rp->stopped)
        reevaluate(*rp);
  }

  const core::config::SyncGroup* group_of(const Runner& r) const {
    if (!r.cfg.sync_group)
      return nullptr;
    for (const auto& g : config_->sync_groups)
      if (g.name == *r.cfg.sync_group)
        return &g;
    return nullptr;
  }

  void reevaluate(Runner& r) {
    auto now = Clock::now();
    auto out = trackers_.evaluate(r.cfg, group_of(r));
    r.track_faults = out.fault_reasons;
    auto prio = vrrp::effective_priority(r.cfg.priority, out.delta);
    if (prio != r.fsm.priority()) {
      log_.info("({}) effective priority {} -> {} (configured {})", r.name(),
                unsigned(r.fsm.priority()), unsigned(prio), unsigned(r.cfg.priority));
      execute(r, r.fsm.set_priority(prio, now));
      notifier_.priority(r.cfg, r.fsm.state() == vrrp::State::master, prio);
    }
    execute(r, r.fsm.set_fault(vrrp::FaultKind::tracker, out.fault, now));
    rearm(r);
  }

  void link_changed(const core::io::Link& l, bool removed) {
    auto now = Clock::now();
    for (auto& rp : runners_) {
      Runner& r = *rp;
      bool vmac = r.cfg.use_vmac && vmac_name(r) == l.name;
      if (r.stopped || !r.cfg.interface || (*r.cfg.interface != l.name && !vmac))
        continue;
      if (vmac) {
        if (removed)
          log_.warn("({}) VMAC {} was removed", r.name(), l.name);
        bind_interface(r);
        rearm(r);
        continue;
      }
      if (removed) {
        log_.warn("({}) interface {} was removed", r.name(), l.name);
        r.ifindex = 0;
        r.socket = nullptr;
        execute(r, r.fsm.set_fault(vrrp::FaultKind::link_down, true, now));
      } else if (r.ifindex != l.index || !r.socket) {
        bind_interface(r);
      } else {
        bool down = !l.up() && !r.cfg.dont_track_primary;
        if (down != r.fsm.has_fault(vrrp::FaultKind::link_down))
          log_.info("({}) link {} is {}", r.name(), l.name, l.up() ? "up" : "down");
        bool vmac_missing = r.cfg.use_vmac && r.vmac_ifindex == 0;
        execute(r, r.fsm.set_fault(vrrp::FaultKind::link_down, down || vmac_missing, now));
      }
      rearm(r);
    }
    if (removed) {
      for (auto it = sockets_.begin(); it != sockets_.end();) {
        if (std::get<0>(it->first) != l.index) {
          ++it;
          continue;
        }
        std::erase(receivers_, it->second.get());
        it = sockets_.erase(it);
      }
      index_dirty_ = true;
    }
    reevaluate_all(); // track_interface
  }

  void address_changed(const core::io::Address& a, bool /*removed*/) {
    // A VIP is never an instance's source (primary() skips them): its comings and goings,
    // 1,000 of them in a takeover storm, concern only an instance that names it as src_ip.
    bool vip = all_vips_.count(a.address) > 0;
    for (auto& rp : runners_) {
      Runner& r = *rp;
      if (r.stopped || r.ifindex == 0)
        continue;
      if (vip && !(r.cfg.src_ip && *r.cfg.src_ip == a.address))
        continue;
      if (r.ifindex == a.index || (r.cfg.src_ip && *r.cfg.src_ip == a.address)) {
        update_source(r);
        rearm(r);
      }
    }
  }

  // --- receive ---------------------------------------------------------------------------------

  /// VRRPv2 behind IPsec AH (keepalived's auth_type AH): find the instance by the VRID inside,
  /// check the ICV with its key and the sequence number against its counter, then go on as
  /// for a plain advert.
  void received_ah(vrrp::io::VrrpSocket& sock, const vrrp::io::Packet& p) {
    const auto& ip = p.ip_packet;
    std::size_t ihl = ip.empty() ? 0 : std::size_t(ip[0] & 0x0f) * 4;
    std::size_t at = ihl + vrrp::ah::ah_size + 1; // the VRID in the VRRP message
    if (ip.size() <= at) {
      ++socket_drops_[std::size_t(vrrp::Drop::too_short)];
      return;
    }
    const auto& candidates = instances_for(sock, ip[at]);
    Runner* r = candidates.empty() ? nullptr : candidates.back();
    if (!r) {
      ++socket_drops_[std::size_t(vrrp::Drop::unknown_vrid)];
      return;
    }
    auto key = std::span<const std::uint8_t>(r->fsm.settings().auth_data.data(),
                                             std::min<std::size_t>(8, r->cfg.auth_pass.size()));
    auto opened = vrrp::ah::open(ip, key);
    if (!opened.ok()) {
      r->fsm.count_drop(vrrp::ah::to_drop(opened.reason));
      log_.info("({}) IPsec AH: dropped an advert from {}: {} (seq {})", r->name(),
                p.src.to_string(), vrrp::ah::to_string(opened.reason), opened.seq);
      return;
    }
    if (r->source && p.src == *r->source) {
      r->fsm.count_drop(vrrp::Drop::own_packet);
      return;
    }
    if (!r->ah_seq.accept(opened.seq)) {
      r->fsm.count_drop(vrrp::Drop::replayed);
      log_.info("({}) IPsec AH: sequence number {} from {} already seen (last {}); dropped",
                r->name(), opened.seq, p.src.to_string(), r->ah_seq.last());
      return;
    }
    vrrp::io::Packet inner = p;
    inner.message = opened.message;
    received(sock, inner);
  }

  /// The running instances receiving on `sock` with VRID `vrid`, in runners_ order.
  const std::vector<Runner*>& instances_for(const vrrp::io::VrrpSocket& sock, std::uint8_t vrid) {
    if (index_dirty_) {
      by_vrid_.clear();
      for (auto& rp : runners_)
        if (!rp->stopped && rp->socket)
          by_vrid_[rp->socket][rp->cfg.virtual_router_id].push_back(rp.get());
      index_dirty_ = false;
    }
    static const std::vector<Runner*> none;
    auto it = by_vrid_.find(&sock);
    return it == by_vrid_.end() ? none : it->second[vrid];
  }

  void received(vrrp::io::VrrpSocket& sock, const vrrp::io::Packet& p) {
    auto d = vrrp::decode(p.message, p.src, p.dst);
    if (d.drop != vrrp::Drop::none) {
      ++socket_drops_[std::size_t(d.drop)];
      log_.debug("dropped a VRRP packet from {} on ifindex {}: {}", p.src.to_string(),
                 sock.ifindex(), vrrp::to_string(d.drop));
      return;
    }
    Runner* target = nullptr;
    bool multicast = p.dst.is_multicast();
    for (Runner* rp : instances_for(sock, d.advert.vrid)) {
      Runner& r = *rp;
      bool unicast = !r.cfg.unicast_peer.empty();
      if (multicast && !unicast && r.cfg.mcast_dst_ip == p.dst) {
        target = &r;
        break;
      }
      if (!multicast && unicast) {
        bool peer = std::any_of(r.cfg.unicast_peer.begin(), r.cfg.unicast_peer.end(),
                                [&](const auto& q) { return q.address == p.src; });
        if (peer) {
          target = &r;
          break;
        }
      }
      if (!target)
        target = &r; // the validation ladder decides (and counts)
    }
    if (!target) {
      ++socket_drops_[std::size_t(vrrp::Drop::unknown_vrid)];
      log_.debug("advert for VRID {} from {}: no such instance here", d.advert.vrid,
                 p.src.to_string());
      return;
    }
    Runner& r = *target;
    if (r.source && p.src == *r.source) {
      r.fsm.count_drop(vrrp::Drop::own_packet);
      return;
    }
    // The advert arrived p.age ago: the instance restarts its timers from then (bounded).
    vrrp::Received in{
        std::move(d.advert), p.src,  p.ttl,
        multicast,           d.form, std::chrono::duration_cast<core::Duration>(p.age)};
    auto before = r.fsm.counters().drops;
    execute(r, r.fsm.receive(in, Clock::now()));
    log_new_drops(r, before, p);
    rearm(r);
  }

  void log_new_drops(Runner& r,
                     const std::array<std::uint64_t, std::size_t(vrrp::Drop::count_)>& before,
                     const vrrp::io::Packet& p) {
    const auto& after = r.fsm.counters().drops;
    for (std::size_t k = 0; k < after.size(); ++k) {
      if (after[k] == before[k])
        continue;
      // The first of each kind at info (or always with `debug`), the rest at debug.
      bool loud = r.drops_logged[k]++ == 0 || r.cfg.debug > 0;
      auto lvl = loud ? spdlog::level::info : spdlog::level::debug;
      trap_drop(r, vrrp::Drop(k), p);
      bool accepted = vrrp::Drop(k) == vrrp::Drop::address_mismatch && r.cfg.version == 3;
      log_.log(lvl, "({}) {} advert from {}: {}{}", r.name(),
               accepted ? "accepted (RFC 9568 7.1) an" : "dropped an", p.src.to_string(),
               vrrp::to_string(vrrp::Drop(k)),
               r.drops_logged[k] == 1 ? " (further drops of this kind are logged at debug)" : "");
    }
  }

  static SnmpVrrpState snmp_state(vrrp::State s) {
    switch (s) {
    case vrrp::State::init:
      return SnmpVrrpState::init;
    case vrrp::State::backup:
      return SnmpVrrpState::backup;
    case vrrp::State::master:
      return SnmpVrrpState::master;
    case vrrp::State::fault:
      return SnmpVrrpState::fault;
    }
    return SnmpVrrpState::unknown;
  }

  /// RFC 2787 vrrpTrapAuthFailure (VRRPv2) and RFC 6527 vrrpv3ProtoError for a dropped advert.
  void trap_drop(const Runner& r, vrrp::Drop d, const vrrp::io::Packet& p) {
    if (d == vrrp::Drop::auth_mismatch && r.cfg.version == 2)
      snmp_.auth_failure(r.cfg, r.ifindex, p.src, 3); // authFailure (as keepalived for a password)
    // ipTtlError(1), versionError(2); checksum and VRID errors are found before any instance
    // is (the socket counts them), and the notification names an instance's row.
    int reason = d == vrrp::Drop::bad_ttl ? 1 : d == vrrp::Drop::version_mismatch ? 2 : 0;
    if (reason)
      snmp_.proto_error(r.cfg, r.ifindex, reason);
  }

  // --- effects ---------------------------------------------------------------------------------

  /// Carries out what the state machine asked for. Adverts leave at once (or with this
  /// wake-up's batch); the rest goes behind the instance's deferred effects, if any, so that
  /// each instance's effects keep their order (RFC 9568 8.1.2: advert, addresses, GARP).
  void execute(Runner& r, const vrrp::Effects& fx) {
    if (batching_ || r.deferred > 0) {
      vrrp::Effects rest;
      for (const auto& e : fx) {
        if (const auto* a = std::get_if<vrrp::SendAdvert>(&e))
          send_advert(r, a->priority);
        else
          rest.push_back(e);
      }
      if (!rest.empty()) {
        ++r.deferred;
        deferred_.emplace_back(r.shared_from_this(), std::move(rest));
      }
      rearm(r);
      return;
    }
    apply(r, fx);
  }

  void apply(Runner& r, const vrrp::Effects& fx) {
    // Packets and address changes first, logs after: a transition's advert and GARP must not
    // wait for a log line to be formatted and written.
    std::optional<vrrp::Transition> transition;
    for (const auto& e : fx)
      std::visit(overloaded{
                     [&](const vrrp::Transition& t) {
                       if (transition)
                         log_transition(r, *transition);
                       transition = t;
                     },
                     [&](const vrrp::SendAdvert& a) { send_advert(r, a.priority); },
                     // An instance's advert leaves before its addresses change and its GARPs
                     // (RFC 9568 8.1.2): what this wake-up queued goes out first.
                     [&](const vrrp::AddVips&) {
                       flush_adverts();
                       set_vips(r, true);
                     },
                     [&](const vrrp::DelVips&) {
                       flush_adverts();
                       set_vips(r, false);
                     },
                     [&](const vrrp::SendGarp& g) {
                       flush_adverts();
                       send_garp(r, g.rounds);
                     },
                 },
                 e);
    if (transition) {
      log_transition(r, *transition);
      if (transition->reason != vrrp::Reason::sync_group)
        sync_group_follow(r, *transition);
    }
    rearm(r);
  }

  /// vrrp_sync_group: members move together. One member taking over makes the others master,
  /// one yielding makes them backup, and any member's own fault puts the whole group in FAULT
  /// until every member is clear.
  void sync_group_follow(Runner& origin, const vrrp::Transition& t) {
    const auto* g = group_of(origin);
    if (!g || syncing_)
      return;
    // The group is notified when its state changes, not once per member (keepalived: one
    // group notify and one vrrpSyncGroupStateChange when the members start in BACKUP).
    if (t.to != vrrp::State::init) {
      auto [it, fresh] = group_state_.try_emplace(g->name, t.to);
      if (fresh || it->second != t.to) {
        it->second = t.to;
        notifier_.group(*g, std::string(vrrp::to_string(t.to)), origin.fsm.priority());
        snmp_.sync_group_state(g->name, snmp_state(t.to));
      }
    }
    syncing_ = true;
    auto now = Clock::now();
    std::vector<Runner*> members;
    for (auto& rp : runners_)
      if (!rp->stopped && rp->cfg.sync_group == origin.cfg.sync_group)
        members.push_back(rp.get());
    bool group_fault = false;
    for (Runner* m : members)
      if (m->fsm.has_fault(vrrp::FaultKind::link_down) ||
          m->fsm.has_fault(vrrp::FaultKind::no_source_address) ||
          m->fsm.has_fault(vrrp::FaultKind::tracker))
        group_fault = true;
    for (Runner* m : members) {
      if (m == &origin) {
        execute(*m, m->fsm.set_fault(vrrp::FaultKind::sync_group, false, now));
        continue;
      }
      execute(*m, m->fsm.set_fault(vrrp::FaultKind::sync_group, group_fault, now));
      if (!group_fault && t.to == vrrp::State::master)
        execute(*m, m->fsm.sync_to(vrrp::State::master, now));
      else if (!group_fault && t.to == vrrp::State::backup && t.from == vrrp::State::master)
        execute(*m, m->fsm.sync_to(vrrp::State::backup, now));
      rearm(*m);
    }
    syncing_ = false;
  }

  void log_transition(Runner& r, const vrrp::Transition& t) {
    r.last_transition = Clock::now();
    save_state();
    std::string detail(vrrp::to_string(t.reason));
    if (t.peer)
      detail += ", from " + t.peer->to_string() + " priority " + std::to_string(t.peer_priority);
    if (t.to == vrrp::State::init) {
      log_.info("({}) Stopped (was {})", r.name(), vrrp::to_string(t.from));
      // keepalived: an instance deleted by a reload is reported FAULT, or DELETED with
      // notify_deleted; a stopping daemon reports STOP.
      std::string state = !r.removed ? "STOP" : r.cfg.notify.notify_deleted ? "DELETED" : "FAULT";
      notifier_.instance(r.cfg, state, r.fsm.priority());
      snmp_.instance_state(r.cfg, !r.removed                    ? SnmpVrrpState::shutdown
                                  : r.cfg.notify.notify_deleted ? SnmpVrrpState::deleted
                                                                : SnmpVrrpState::fault);
      return;
    }
    if (t.to == vrrp::State::fault) {
      std::vector<std::string> why;
      if (r.fsm.has_fault(vrrp::FaultKind::link_down))
        why.push_back("interface " + r.cfg.interface.value_or("?") + " is down or missing");
      if (r.fsm.has_fault(vrrp::FaultKind::no_source_address))
        why.push_back("no source address");
      if (r.fsm.has_fault(vrrp::FaultKind::tracker))
        why.insert(why.end(), r.track_faults.begin(), r.track_faults.end());
      if (r.fsm.has_fault(vrrp::FaultKind::sync_group))
        why.push_back("sync group " + r.cfg.sync_group.value_or("?") + " is in FAULT");
      detail.clear();
      for (const auto& w : why)
        detail += (detail.empty() ? "" : ", ") + w;
    }
    log_.info("({}) Entering {} STATE ({})", r.name(), vrrp::to_string(t.to), detail);
    notifier_.instance(r.cfg, std::string(vrrp::to_string(t.to)), r.fsm.priority());
    snmp_.instance_state(r.cfg, snmp_state(t.to));
    if (t.to == vrrp::State::master && r.source)
      // RFC 6527 vrrpv3StatisticsNewMasterReason: priority(1) for the address owner, else
      // masterNoResponse(3) (a backup takes over when its Master_Down timer fires)
      snmp_.new_master(r.cfg, r.ifindex, *r.source,
                       t.reason == vrrp::Reason::address_owner ? 1 : 3);
  }

  void send_advert(Runner& r, std::uint8_t priority) {
    auto* sock = r.tx_socket ? r.tx_socket : r.socket;
    if (!sock || !r.source)
      return;
    if (priority != 0 && r.fsm.state() == vrrp::State::master)
      state_.heartbeat(); // a successor can tell how long ago we last advertised
    const auto& s = r.fsm.settings();
    vrrp::Advert a;
    a.version = s.version;
    a.vrid = s.vrid;
    a.priority = priority;
    a.interval =
        s.version == 2
            ? std::uint16_t(std::chrono::duration_cast<std::chrono::seconds>(s.advert_int).count())
            : std::uint16_t(s.advert_int / 10ms);
    a.auth = s.auth;
    if (!r.ah())
      a.auth_data = s.auth_data; // PASS: the password travels; AH: zeros, the key never does
    a.addresses = s.vips;
    if (r.ah()) {
      // keepalived's AH: one sequence number and IP id per advert, whatever the destinations.
      auto seq = r.ah_seq.next();
      auto id = r.ah_ip_id.next();
      auto key = std::span<const std::uint8_t>(s.auth_data.data(),
                                               std::min<std::size_t>(8, r.cfg.auth_pass.size()));
      auto one = [&](const core::IpAddress& dst, std::uint8_t ttl) {
        auto msg = vrrp::encode(a, *r.source, dst);
        auto packet =
            vrrp::ah::seal(*r.source, dst, id, ttl, vrrp::ah::spi_for(*r.source), seq, msg, key);
        sock->send_raw(packet, dst);
      };
      if (r.cfg.unicast_peer.empty())
        one(r.cfg.mcast_dst_ip, 255);
      else
        for (const auto& peer : r.cfg.unicast_peer)
          one(peer.address, r.cfg.unicast_ttl);
      return;
    }
    auto send = [&](const core::IpAddress& dst, std::uint8_t ttl) {
      auto bytes = vrrp::encode(a, *r.source, dst, s.checksum);
      if (!batching_) {
        sock->send(bytes, *r.source, dst, ttl);
        return;
      }
      if (!sock->queued())
        pending_sockets_.push_back(sock);
      sock->queue(std::move(bytes), *r.source, dst, ttl);
    };
    if (r.cfg.unicast_peer.empty())
      send(r.cfg.mcast_dst_ip, 255);
    else
      // The v3 IPv4 pseudo-header differs per destination, so each peer gets its own encoding.
      for (const auto& peer : r.cfg.unicast_peer)
        send(peer.address, r.cfg.unicast_ttl);
  }

  /// The addresses (VIPs and excluded VIPs) of `cfg`, run by `r`, with the interface each
  /// goes on: its `dev`, else the VMAC for addresses of the instance's family, else the
  /// instance's interface (0 when it does not exist).
  std::vector<vrrp::PlacedAddress> placed_vips(const Runner& r, const VrrpInstance& cfg) const {
    std::vector<vrrp::PlacedAddress> out;
    auto visit = [&](const std::vector<core::config::AddressSpec>& list) {
      for (const auto& spec : list) {
        bool on_vmac = cfg.use_vmac && spec.address.address.family() == cfg.family;
        int ifindex = on_vmac ? r.vmac_ifindex : r.ifindex;
        if (spec.dev) {
          const auto* l = ifs_.find(*spec.dev);
          ifindex = l ? l->index : 0;
        }
        out.push_back({spec, ifindex});
      }
    };
    visit(cfg.virtual_ipaddress);
    visit(cfg.virtual_ipaddress_excluded);
    return out;
  }

  /// VIPs, then virtual routes, then virtual rules when adding; the reverse when removing
  /// (a route may use a VIP as its source, so the address must exist first).
  void set_vips(Runner& r, bool add) {
    r.vips_present = add;
    const std::string who = "(" + r.name() + ")";
    if (!add)
      net_.routes_rules(who, r.cfg.virtual_routes, r.cfg.virtual_rules, false);
    for (const auto& [spec, ifindex] : placed_vips(r, r.cfg)) {
      if (ifindex == 0) {
        log_.error("({}) cannot {} {}: interface {} does not exist", r.name(),
                   add ? "add" : "remove", spec.address.to_string(),
                   spec.dev.value_or(r.cfg.interface.value_or("?")));
        continue;
      }
      net_.address(who, add, spec, ifindex);
    }
    if (add)
      net_.routes_rules(who, r.cfg.virtual_routes, r.cfg.virtual_rules, true);
  }

  /// `only`: announce just these addresses (those a reload added); null: all of them.
  void send_garp(Runner& r, std::uint32_t rounds, const std::set<core::IpAddress>* only = nullptr) {
    garps_.announce(
        placed_vips(r, r.cfg), r.ifindex, rounds, config_->global_defs,
        [this](int ifindex) { return primary(ifindex, core::Family::inet6); }, only);
  }

  bool link_layer_adverts_; ///< multicast adverts framed at the link layer (VrrpSocket)
  asio::io_context& ctx_;
  const Logs& logs_;
  spdlog::logger& log_;
  core::io::Interfaces& ifs_;
  ProcessRunner& runner_;
  NetChanges net_;
  Vmacs vmacs_;
  Garps garps_;
  core::io::FileWatch files_;
  Trackers trackers_;
  Notifier& notifier_;
  SnmpAgent& snmp_;
  bool syncing_ = false;
  std::set<std::pair<Clock::time_point, Runner*>> due_; ///< the deadline queue
  asio::steady_timer wake_;
  Clock::time_point armed_ = Clock::time_point::max(); ///< when wake_ fires (max: not set)
  std::vector<Runner*> batch_;                         ///< the instances of one wake-up
  std::uint64_t serve_round_ = 0;                      ///< counts serve_due() calls
  bool batching_ = false;                              ///< adverts are queued, not sent
  /// Effects other than adverts waiting their turn (serve_due(), drain()), in order.
  std::deque<std::pair<std::shared_ptr<Runner>, vrrp::Effects>> deferred_;
  bool drain_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::vector<vrrp::io::VrrpSocket*> pending_sockets_; ///< sockets with queued adverts
  /// The running instances that may own an advert, by receiving socket and VRID, in
  /// runners_ order (rebuilt when runners or their sockets change).
  std::map<const vrrp::io::VrrpSocket*, std::array<std::vector<Runner*>, 256>> by_vrid_;
  bool index_dirty_ = true;
  std::map<std::string, vrrp::State> group_state_; ///< as last notified, per sync group
  core::config::ConfigPtr config_;
  using SocketKey = std::tuple<int, core::Family, vrrp::io::Transport>;
  std::map<SocketKey, std::unique_ptr<vrrp::io::VrrpSocket>> sockets_;
  /// The sockets of sockets_ that receive (not a VMAC's send-only ones): serve_due() asks
  /// each whether it is polled, in every wake-up.
  std::vector<vrrp::io::VrrpSocket*> receivers_;
  std::vector<std::shared_ptr<Runner>> runners_;
  std::set<core::IpAddress> all_vips_;
  DropCounts socket_drops_{};
  bool stopping_ = false;
  StateFile state_;
  std::optional<PreviousRun> previous_; ///< only while the first instances start
  bool state_write_pending_ = false;
  asio::steady_timer state_timer_;
  Clock::time_point last_state_write_{};
};

} // namespace

std::unique_ptr<Subsystem> make_vrrp_subsystem(asio::io_context& ctx, const Logs& logs,
                                               core::io::Interfaces& interfaces,
                                               ProcessRunner& runner, Notifier& notifier,
                                               SnmpAgent& snmp, const std::string& state_path,
                                               bool link_layer_adverts) {
  return std::make_unique<VrrpSubsystem>(ctx, logs, interfaces, runner, notifier, snmp, state_path,
                                         link_layer_adverts);
}

} // namespace vigil::daemon
