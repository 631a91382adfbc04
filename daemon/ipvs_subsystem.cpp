#include "daemon/ipvs_subsystem.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include "core/json.hpp"
#include "ipvs/desired.hpp"
#include "ipvs/io/kernel.hpp"

namespace vigil::daemon {

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// After a refused operation or an unreadable table, the next attempt.
constexpr auto retry_after = 1s;
/// Without IPVS, how often vigild asks again whether the kernel has it now: often in the first
/// minute (a module loaded just after start), then once a minute (each ask makes the kernel try
/// to load the module, which runs modprobe on the host).
constexpr auto availability_retry = 5s;
constexpr auto availability_retry_later = 60s;
constexpr auto availability_fast_for = 60s;
/// The table is re-read and repaired at least this often (someone else's `ipvsadm -D` or
/// `-e` of a service of ours is undone within it); longer when a pass is slow, so that a huge
/// table costs at most a tenth of the loop.
constexpr auto repair_period = 2s;
/// How long the kernel keeps removed destinations (IP_VS_DEST_TRASH_PERIOD is 120 s), with a
/// margin: past it the removal order no longer matters.
constexpr auto trash_period = 150s;
constexpr int repair_cost_factor = 10;

/// What `lvs_sync_daemon` wants running, given its instance's state.
std::optional<ipvs::genl::SyncDaemon> wanted_daemon(const core::config::Config& cfg, bool master) {
  const auto& sd = cfg.global_defs.lvs_sync_daemon;
  if (!sd)
    return std::nullopt;
  ipvs::genl::SyncDaemon d;
  d.state = master ? ipvs::genl::daemon_master : ipvs::genl::daemon_backup;
  d.interface = sd->interface;
  const core::config::VrrpInstance* vi = sd->instance ? cfg.find_instance(*sd->instance) : nullptr;
  d.sync_id = sd->id ? *sd->id : vi ? vi->virtual_router_id : 0;
  d.maxlen = sd->maxlen.value_or(0);
  d.group = sd->group;
  d.port = sd->port;
  d.ttl = sd->ttl.value_or(0);
  return d;
}

/// Whether the kernel's daemon `have` is `want` (the kernel fills in what was left unset).
bool same_daemon(const ipvs::genl::SyncDaemon& have, const ipvs::genl::SyncDaemon& want) {
  return have.state == want.state && have.interface == want.interface &&
         have.sync_id == want.sync_id && (want.maxlen == 0 || have.maxlen == want.maxlen) &&
         (!want.group || have.group == want.group) && (want.port == 0 || have.port == want.port) &&
         (want.ttl == 0 || have.ttl == want.ttl);
}

std::string describe(const ipvs::genl::SyncDaemon& d) {
  return std::string(d.state == ipvs::genl::daemon_master ? "master" : "backup") +
         " sync daemon on " + d.interface + " (sync id " + std::to_string(d.sync_id) + ")";
}

class Ipvs final : public IpvsSubsystem {
public:
  Ipvs(asio::io_context& ctx, const Logs& logs)
      : ctx_(ctx), log_(*logs.ipvs), wake_(ctx), ask_again_(ctx) {}

  std::string_view name() const override { return "ipvs"; }

  void start(const core::config::ConfigPtr& config) override {
    config_ = config;
    if (!wants_ipvs(*config))
      return; // no IPVS for a VRRP-only configuration
    begin();
  }

  void reload(const core::config::ConfigPtr& next, const core::config::ConfigDiff&) override {
    config_ = next;
    if (!started_ && wants_ipvs(*next))
      begin();
    poke();
  }

  void instance_state(const std::string& instance, const std::string& state) override {
    if (stopping_ || state == "STOP" || state == "DELETED")
      return; // at stop the sync daemon goes with the rest
    const auto& sd = config_ ? config_->global_defs.lvs_sync_daemon : std::nullopt;
    if (!sd || sd->instance != instance)
      return;
    bool master = state == "MASTER";
    if (master != sync_master_) {
      sync_master_ = master;
      poke();
    }
  }

  asio::awaitable<void> stop() override {
    stopping_ = true;
    wake_.cancel();
    ask_again_.cancel();
    if (!kernel_ || !ready_)
      co_return;
    // Wait for a reconcile in progress, then remove what is ours. Foreign services stay, unless
    // `lvs_flush_on_stop` asks for an empty table.
    asio::steady_timer t(ctx_);
    while (busy_) {
      t.expires_after(5ms);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    const auto flush = config_->global_defs.lvs_flush_on_stop;
    if (flush == core::config::FlushOnStop::all) {
      if (auto err = co_await kernel_->flush())
        log_.error("IPVS: cannot flush the table at stop: {}", err->message);
      else
        log_.info("IPVS: flushed the table at stop (lvs_flush_on_stop)");
    } else {
      auto dumped = co_await kernel_->dump();
      if (const auto* err = std::get_if<core::io::NetlinkError>(&dumped)) {
        log_.error("IPVS: cannot read the table at stop: {}", err->message);
      } else {
        // Each real server, then its service (keepalived's order), in reverse key order so
        // that a restart's adds find each in the kernel's trash at once; with
        // `lvs_flush_on_stop VS` the services alone (the kernel removes their real servers).
        report(co_await kernel_->apply(ipvs::removal(std::get<ipvs::Table>(dumped), owned_,
                                                     flush != core::config::FlushOnStop::none)));
        log_.info("IPVS: removed {} service(s) at stop", owned_.size());
      }
    }
    owned_.clear();
    for (const auto& d : daemons_) {
      if (auto err = co_await kernel_->stop_daemon(d.state))
        log_.error("IPVS: cannot stop the {}: {}", describe(d), err->message);
      else
        log_.info("IPVS: stopped the {}", describe(d));
    }
    daemons_.clear();
    if (timeouts_set_) {
      if (auto err = co_await kernel_->set_timeouts(saved_timeouts_))
        log_.error("IPVS: cannot restore the connection timeouts: {}", err->message);
      else
        log_.info("IPVS: connection timeouts restored to tcp {} tcpfin {} udp {}",
                  saved_timeouts_.tcp, saved_timeouts_.tcpfin, saved_timeouts_.udp);
    }
  }

  std::string state_json() const override {
    core::Json j;
    j.begin_object();
    j.key("available").value(ready_);
    if (!unavailable_.empty())
      j.key("unavailable").value(unavailable_);
    j.key("services").value(static_cast<unsigned long long>(owned_.size()));
    j.key("reconciles").value(static_cast<unsigned long long>(reconciles_));
    j.key("operations").value(static_cast<unsigned long long>(operations_));
    j.key("refused").value(static_cast<unsigned long long>(refused_));
    j.key("repairs").value(static_cast<unsigned long long>(repairs_));
    j.key("sync_daemons").begin_array();
    for (const auto& d : daemons_)
      j.value(describe(d));
    j.end_array();
    j.end_object();
    return j.take();
  }

  void metrics(std::vector<MetricPart>& parts) const override {
    parts.push_back([this](core::Metrics& m) { own_metrics(m); });
    for (std::size_t f = 0; f < 5; ++f) {
      parts.push_back([this, f](core::Metrics& m) { lvs_metrics(m, f, false); });
      parts.push_back([this, f](core::Metrics& m) { lvs_metrics(m, f, true); });
    }
  }

private:
  void own_metrics(core::Metrics& m) const {
    using T = core::Metrics::Type;
    m.family("vigil_ipvs_available", T::gauge, "1 when the kernel's IPVS answers")
        .sample(ready_ ? 1.0 : 0.0);
    m.family("vigil_ipvs_services", T::gauge, "Kernel services vigild programs")
        .sample(double(owned_.size()));
    m.family("vigil_ipvs_operations_total", T::counter,
             "Netlink operations applied to the IPVS table, refused ones, and repairs (passes "
             "that found the table changed behind vigild's back)")
        .sample({{"kind", "applied"}}, operations_)
        .sample({{"kind", "refused"}}, refused_)
        .sample({{"kind", "repairs"}}, repairs_);
  }

  /// gen2brain/keepalived_exporter's LVS family number `f`, of the services or of their real
  /// servers.
  void lvs_metrics(core::Metrics& m, std::size_t field, bool real_servers) const {
    using T = core::Metrics::Type;
    // gen2brain/keepalived_exporter's LVS families, from the counters of the last table read
    // (at most one repair period old): addr "VIP:port" (fwmark services: "FWM:mark"), proto
    // the IP protocol number.
    auto svc_addr = [](const ipvs::ServiceKey& k) {
      if (k.fwmark)
        return "FWM:" + std::to_string(k.fwmark);
      std::string a = k.address.to_string();
      return (k.family == core::Family::inet6 ? "[" + a + "]" : a) + ":" + std::to_string(k.port);
    };
    auto dest_addr = [](const ipvs::DestinationKey& d) {
      std::string a = d.first.to_string();
      return (d.first.is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(d.second);
    };
    struct Field {
      const char* suffix;
      const char* help;
      std::uint64_t ipvs::genl::Stats::*member;
    };
    static constexpr Field fields[] = {
        {"in_packets", "Incoming packets", &ipvs::genl::Stats::inpkts},
        {"out_packets", "Outgoing packets", &ipvs::genl::Stats::outpkts},
        {"in_bytes", "Incoming bytes", &ipvs::genl::Stats::inbytes},
        {"out_bytes", "Outgoing bytes", &ipvs::genl::Stats::outbytes},
        {"conn", "Connections scheduled", &ipvs::genl::Stats::conns},
    };
    const auto& f = fields[field];
    if (!real_servers) {
      m.family(std::string("keepalived_lvs_vip_") + f.suffix, T::counter,
               std::string(f.help) + " of a virtual service");
      for (const auto& [key, st] : stats_)
        if (owned_.count(key))
          m.sample({{"addr", svc_addr(key)}, {"proto", std::to_string(key.protocol)}},
                   st.service.*f.member);
      return;
    }
    m.family(std::string("keepalived_lvs_rs_") + f.suffix, T::counter,
             std::string(f.help) + " of a real server");
    for (const auto& [key, st] : stats_)
      if (owned_.count(key))
        for (const auto& [dk, ds] : st.destinations)
          m.sample({{"vip", svc_addr(key)},
                    {"addr", dest_addr(dk)},
                    {"proto", std::to_string(key.protocol)}},
                   ds.*f.member);
  }

public:
  // TableSink
  void tables(const core::config::ConfigPtr& config,
              std::vector<std::vector<check::Destination>> per_vs) override {
    tables_config_ = config;
    tables_ = std::move(per_vs);
    poke();
  }
  void table(std::size_t vs, const std::vector<check::Destination>& dests) override {
    if (vs < tables_.size())
      tables_[vs] = dests;
    poke();
  }

private:
  static bool wants_ipvs(const core::config::Config& c) {
    const auto& g = c.global_defs;
    return !c.virtual_servers.empty() || g.lvs_sync_daemon || g.lvs_flush ||
           g.lvs_flush_on_stop != core::config::FlushOnStop::none || g.lvs_timeouts.tcp ||
           g.lvs_timeouts.tcpfin || g.lvs_timeouts.udp;
  }

  void begin() {
    started_ = true;
    try {
      kernel_ = std::make_unique<ipvs::io::Kernel>(ctx_);
    } catch (const std::exception& e) {
      unavailable_ = e.what();
      log_.warn("IPVS: cannot open generic netlink ({}): real servers are health-checked and "
                "notified, no virtual server is programmed",
                e.what());
      return;
    }
    asio::co_spawn(ctx_, run(), asio::detached);
  }

  void poke() {
    dirty_ = true;
    wake_.cancel();
  }

  asio::awaitable<void> run() {
    // Without IPVS (module missing, no capability in a container) vigild says so once and asks
    // again now and then: a later `modprobe ip_vs` is picked up without a restart.
    const auto first_ask = std::chrono::steady_clock::now();
    for (;;) {
      auto err = co_await kernel_->open();
      if (!err)
        break;
      if (unavailable_.empty())
        log_.warn("IPVS is not available in this kernel ({}): real servers are health-checked "
                  "and notified, no virtual server is programmed; asking again every {} s, "
                  "after a minute every {} s",
                  err->message, std::chrono::seconds(availability_retry).count(),
                  std::chrono::seconds(availability_retry_later).count());
      unavailable_ = err->message;
      const bool early = std::chrono::steady_clock::now() - first_ask < availability_fast_for;
      // (its own timer: verdicts poke wake_, and must not make vigild ask on every change)
      ask_again_.expires_after(early
                                   ? std::chrono::steady_clock::duration(availability_retry)
                                   : std::chrono::steady_clock::duration(availability_retry_later));
      co_await ask_again_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (stopping_)
        co_return;
    }
    ready_ = true;
    if (!unavailable_.empty())
      log_.info("IPVS is available now");
    unavailable_.clear();
    log_.info("Initializing ipvs (generic netlink family {})", kernel_->family_id());
    co_await first_steps();
    dirty_ = true;
    using clock = std::chrono::steady_clock;
    clock::time_point repair_due = clock::now() + repair_period;
    while (!stopping_) {
      if (!dirty_ && clock::now() < repair_due) {
        wake_.expires_at(repair_due);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      // A pass re-reads the kernel's table when the period ran out (however many verdicts
      // came in between): a check that nobody changed our entries.
      repairing_ = clock::now() >= repair_due;
      dirty_ = false;
      busy_ = true;
      bool ok = co_await reconcile();
      ok = co_await reconcile_globals() && ok;
      busy_ = false;
      if (repairing_)
        repair_due = clock::now() +
                     std::max<clock::duration>(repair_period, last_read_cost_ * repair_cost_factor);
      repairing_ = false;
      if (!ok && !stopping_) {
        wake_.expires_after(retry_after);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        dirty_ = true;
      }
    }
  }

  /// Once the family is there: `lvs_flush`, and the timeouts found at start (restored at stop).
  asio::awaitable<void> first_steps() {
    if (config_->global_defs.lvs_flush) {
      if (auto err = co_await kernel_->flush())
        log_.error("IPVS: cannot flush the table at start (lvs_flush): {}", err->message);
      else
        log_.info("IPVS: flushed the table at start (lvs_flush)");
    }
    auto t = co_await kernel_->timeouts();
    if (auto* err = std::get_if<core::io::NetlinkError>(&t))
      log_.error("IPVS: cannot read the connection timeouts: {}", err->message);
    else {
      saved_timeouts_ = std::get<ipvs::genl::Timeouts>(t);
      timeouts_known_ = true;
    }
  }

  /// The timeouts and the sync daemon, as the configuration wants them; false: retry.
  asio::awaitable<bool> reconcile_globals() {
    bool ok = true;
    const auto& lt = config_->global_defs.lvs_timeouts;
    if (timeouts_known_ && (lt.tcp || lt.tcpfin || lt.udp)) {
      ipvs::genl::Timeouts want{lt.tcp.value_or(saved_timeouts_.tcp),
                                lt.tcpfin.value_or(saved_timeouts_.tcpfin),
                                lt.udp.value_or(saved_timeouts_.udp)};
      auto have = co_await kernel_->timeouts();
      if (auto* err = std::get_if<core::io::NetlinkError>(&have)) {
        log_.error("IPVS: cannot read the connection timeouts: {}", err->message);
        ok = false;
      } else if (std::get<ipvs::genl::Timeouts>(have) != want) {
        timeouts_set_ = true;
        if (auto err = co_await kernel_->set_timeouts(want)) {
          log_.error("IPVS: cannot set the connection timeouts (tcp {} tcpfin {} udp {}): {}",
                     want.tcp, want.tcpfin, want.udp, err->message);
          ok = false;
        } else {
          log_.info("IPVS: connection timeouts set to tcp {} tcpfin {} udp {}", want.tcp,
                    want.tcpfin, want.udp);
        }
      }
    } else if (timeouts_set_ && timeouts_known_) {
      // a reload dropped lvs_timeouts: back to what was found at start
      if (auto err = co_await kernel_->set_timeouts(saved_timeouts_)) {
        log_.error("IPVS: cannot restore the connection timeouts: {}", err->message);
        ok = false;
      } else {
        timeouts_set_ = false;
      }
    }
    co_return co_await reconcile_daemon() && ok;
  }

  asio::awaitable<bool> reconcile_daemon() {
    auto want = wanted_daemon(*config_, sync_master_);
    if (!want && daemons_.empty())
      co_return true;
    auto have = co_await kernel_->daemons();
    if (auto* err = std::get_if<core::io::NetlinkError>(&have)) {
      log_.error("IPVS: cannot read the sync daemons: {}", err->message);
      co_return false;
    }
    bool ok = true;
    const auto& running = std::get<std::vector<ipvs::genl::SyncDaemon>>(have);
    // Ours that are no longer wanted (the other state, or a changed configuration), and
    // anything in the wanted daemon's place that is not it.
    std::vector<ipvs::genl::SyncDaemon> keep;
    for (const auto& d : running) {
      bool mine = false;
      for (const auto& o : daemons_)
        mine = mine || o.state == d.state;
      bool wanted = want && same_daemon(d, *want);
      bool in_the_way = want && d.state == want->state && !wanted;
      if (wanted) {
        keep.push_back(*want);
        continue;
      }
      if (mine || in_the_way) {
        if (auto err = co_await kernel_->stop_daemon(d.state)) {
          log_.error("IPVS: cannot stop the {}: {}", describe(d), err->message);
          ok = false;
        } else {
          log_.info("IPVS: stopped the {}", describe(d));
        }
      }
    }
    if (want && keep.empty()) {
      if (auto err = co_await kernel_->start_daemon(*want)) {
        log_.error("IPVS: cannot start the {}: {}", describe(*want), err->message);
        ok = false;
      } else {
        log_.info("IPVS: started the {}", describe(*want));
        keep.push_back(*want);
      }
    }
    daemons_ = std::move(keep);
    co_return ok;
  }

  ipvs::Table desired() const {
    ipvs::Table want;
    if (!tables_config_)
      return want;
    const auto& vss = tables_config_->virtual_servers;
    for (std::size_t i = 0; i < vss.size() && i < tables_.size(); ++i) {
      const auto& vs = vss[i];
      const core::config::VirtualServerGroup* group = nullptr;
      for (const auto& g : tables_config_->virtual_server_groups)
        if (g.name == vs.group)
          group = &g;
      ipvs::add_services(want, vs, group, tables_[i]);
    }
    return want;
  }

  /// One pass: the desired table against the kernel's; false when something must be retried.
  asio::awaitable<bool> reconcile() {
    ++reconciles_;
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::duration d) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    const auto t0 = clock::now();
    ipvs::Table want = desired();
    const auto t1 = clock::now();
    // The kernel's table is read at start, on every repair pass and after any error; in between
    // vigild plans against what it last read and applied (a verdict on a huge table costs its
    // few operations, not a dump of every service).
    const bool read = !known_ || repairing_;
    bool drifted = false; // the kernel's entries of ours are not what vigild last left there
    if (read) {
      std::vector<ipvs::TrashKey> order;
      auto dumped = co_await kernel_->dump(&stats_, &order);
      if (const auto* err = std::get_if<core::io::NetlinkError>(&dumped)) {
        log_.error("IPVS: cannot read the table: {}", err->message);
        known_.reset();
        co_return false;
      }
      // What counts as ours: what we want (existing entries are adopted as they are) and what
      // we made before. Everything else in the kernel is foreign and stays.
      ipvs::Table fresh;
      for (auto& [key, entry] : std::get<ipvs::Table>(dumped))
        if (want.count(key) || owned_.count(key))
          fresh.emplace(key, std::move(entry));
      drifted = known_ && fresh != *known_;
      if (drifted)
        note_removed(*known_, fresh);
      last_order_ = std::move(order);
      known_ = std::move(fresh);
    }
    const auto t2 = clock::now();
    ipvs::Table& actual = *known_;
    if (!adopted_logged_) {
      adopted_logged_ = true;
      for (const auto& [key, entry] : actual)
        log_.info("IPVS: adopting the existing service {} ({})", ipvs::io::describe(key),
                  entry.service.scheduler);
    }
    auto ops = ipvs::plan(want, actual);
    forget_removed(clock::now() - trash_period);
    ipvs::order_for_trash(ops, removed_);
    if (drifted && !ops.empty()) {
      ++repairs_;
      log_.warn("IPVS: the kernel's table was changed behind vigild's back; {} operation(s) "
                "restore it",
                ops.size());
      constexpr std::size_t shown = 20; // the first few; a cleared table has thousands
      for (std::size_t i = 0; i < ops.size() && i < shown; ++i)
        log_.info("IPVS: repair: {}", ipvs::io::describe(ops[i]));
      if (ops.size() > shown)
        log_.info("IPVS: repair: ... and {} more", ops.size() - shown);
    } else if (log_.should_log(spdlog::level::debug)) {
      for (const auto& op : ops)
        log_.debug("IPVS: {}", ipvs::io::describe(op));
    }
    operations_ += ops.size();
    const auto t3 = clock::now();
    auto failures = co_await kernel_->apply(ops);
    // What these operations put in the kernel's trash, for the next pass's order.
    // (a destination removed by itself goes in the order sent; a service's go with it in the
    // kernel's order)
    ipvs::Table gone;
    for (const auto& op : ops)
      if (op.kind == ipvs::OpKind::delete_destination && op.destination)
        remember_removed({op.service.key, {op.destination->address, op.destination->port}});
      else if (op.kind == ipvs::OpKind::delete_service)
        if (auto it = actual.find(op.service.key); it != actual.end())
          gone.insert(*it);
    if (!gone.empty())
      note_removed(gone, {});
    // The first pass and any slow one (a huge table, a slow machine) say where their time went.
    log_.log(reconciles_ == 1 || clock::now() - t0 > 1s ? spdlog::level::info
                                                        : spdlog::level::debug,
             "IPVS: pass {}: desired {} ms, {} {} ms, plan {} ms, {} operation(s) {} ms",
             reconciles_, ms(t1 - t0), read ? "read" : "no read", ms(t2 - t1), ms(t3 - t2),
             ops.size(), ms(clock::now() - t3));
    if (read)
      last_read_cost_ = t2 - t1;
    std::set<ipvs::ServiceKey> owned;
    for (const auto& [key, entry] : want)
      owned.insert(key);
    if (failures.empty())
      known_ = std::move(want); // the kernel's table of ours is the desired one now
    else
      known_.reset(); // read it again next time
    for (const auto& f : failures)
      if (f.op.kind == ipvs::OpKind::delete_service)
        owned.insert(f.op.service.key); // still there: still ours to remove
    owned_ = std::move(owned);
    report(failures);
    co_return failures.empty();
  }

  /// The destinations in `before` and not in `after` went to the kernel's trash: in the kernel's
  /// own order where the last read knows it (a flush removes them in that order), else in key
  /// order. Appended to removed_, which orders the adds that bring them back.
  void note_removed(const ipvs::Table& before, const ipvs::Table& after) {
    auto present = [](const ipvs::Table& t, const ipvs::TrashKey& k) {
      auto it = t.find(k.first);
      return it != t.end() && it->second.destinations.count(k.second) != 0;
    };
    std::set<ipvs::TrashKey> noted;
    for (const auto& k : last_order_)
      if (present(before, k) && !present(after, k) && noted.insert(k).second)
        remember_removed(k);
    for (const auto& [key, entry] : before)
      for (const auto& [dk, d] : entry.destinations)
        if (ipvs::TrashKey k{key, dk}; !present(after, k) && !noted.count(k))
          remember_removed(k);
  }

  void remember_removed(const ipvs::TrashKey& k) {
    removed_.push_back(k);
    removed_when_.push_back(std::chrono::steady_clock::now());
  }

  /// Drops what the kernel's trash no longer holds (removed before `before`).
  void forget_removed(std::chrono::steady_clock::time_point before) {
    auto end = std::find_if(removed_when_.begin(), removed_when_.end(),
                            [&](auto t) { return t >= before; });
    const auto n = end - removed_when_.begin();
    removed_.erase(removed_.begin(), removed_.begin() + n);
    removed_when_.erase(removed_when_.begin(), end);
  }

  void report(const std::vector<ipvs::io::Failure>& failures) {
    refused_ += failures.size();
    // Each refusal with its reason; past the first few, a count (a batch whose answers were
    // lost, or a kernel that refuses everything, would otherwise log thousands of lines).
    constexpr std::size_t shown = 20;
    for (std::size_t i = 0; i < failures.size() && i < shown; ++i)
      log_.error("IPVS: {}: {}", ipvs::io::describe(failures[i].op), failures[i].error.message);
    if (failures.size() > shown)
      log_.error("IPVS: ... and {} more operation(s) refused (last: {}: {})",
                 failures.size() - shown, ipvs::io::describe(failures.back().op),
                 failures.back().error.message);
  }

  asio::io_context& ctx_;
  spdlog::logger& log_;
  asio::steady_timer wake_;
  asio::steady_timer ask_again_; ///< without IPVS: the next time to ask the kernel
  core::config::ConfigPtr config_;
  core::config::ConfigPtr tables_config_;
  std::vector<std::vector<check::Destination>> tables_;
  std::unique_ptr<ipvs::io::Kernel> kernel_;
  std::set<ipvs::ServiceKey> owned_;
  std::optional<ipvs::Table> known_; ///< the kernel's entries of ours, as last read or applied
  std::vector<ipvs::TrashKey> last_order_; ///< the last read's destinations, in kernel order
  std::vector<ipvs::TrashKey> removed_;    ///< what left the kernel lately, oldest first
  std::vector<std::chrono::steady_clock::time_point> removed_when_; ///< when, per removed_
  ipvs::io::Kernel::StatsTable stats_;                   ///< traffic counters as of the last read
  std::chrono::steady_clock::duration last_read_cost_{}; ///< of the last whole-table read
  std::string unavailable_;
  std::uint64_t reconciles_ = 0;
  std::uint64_t operations_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t repairs_ = 0;
  ipvs::genl::Timeouts saved_timeouts_;
  bool timeouts_known_ = false;
  bool timeouts_set_ = false;
  std::vector<ipvs::genl::SyncDaemon> daemons_; ///< the ones vigild started and that still run
  bool sync_master_ = false;
  bool repairing_ = false;
  bool started_ = false;
  bool ready_ = false;
  bool dirty_ = false;
  bool busy_ = false;
  bool stopping_ = false;
  bool adopted_logged_ = false;
};

} // namespace

std::unique_ptr<IpvsSubsystem> make_ipvs_subsystem(asio::io_context& ctx, const Logs& logs) {
  return std::make_unique<Ipvs>(ctx, logs);
}

} // namespace vigil::daemon
