#include "daemon/ipvs_subsystem.hpp"

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
/// Without IPVS, how often vigild asks again whether the kernel has it now.
constexpr auto availability_retry = 5s;
/// The table is re-read and repaired at least this often (someone else's `ipvsadm -D` or
/// `-e` of a service of ours is undone within it); longer when a pass is slow, so that a huge
/// table costs at most a few percent of the loop.
constexpr auto repair_period = 2s;
constexpr int repair_cost_factor = 20;

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
  Ipvs(asio::io_context& ctx, const Logs& logs) : ctx_(ctx), log_(*logs.ipvs), wake_(ctx) {}

  std::string_view name() const override { return "ipvs"; }

  void start(const core::config::ConfigPtr& config) override {
    config_ = config;
    if (!wants_ipvs(*config))
      return; // no IPVS for a VRRP-only configuration
    begin();
  }

  void reload(const core::config::ConfigPtr& next) override {
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
        // Each real server, then its service (keepalived's order); with `lvs_flush_on_stop VS`
        // the service alone (the kernel removes its real servers with it).
        std::vector<ipvs::Op> ops;
        for (const auto& [key, entry] : std::get<ipvs::Table>(dumped))
          if (owned_.count(key)) {
            if (flush == core::config::FlushOnStop::none)
              for (const auto& [dk, d] : entry.destinations)
                ops.push_back({ipvs::OpKind::delete_destination, entry.service, d});
            ops.push_back({ipvs::OpKind::delete_service, entry.service, std::nullopt});
          }
        report(co_await kernel_->apply(ops));
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

  // TableSink
  void tables(const core::config::ConfigPtr& config,
              const std::vector<std::vector<check::Destination>>& per_vs) override {
    tables_config_ = config;
    tables_ = per_vs;
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
    for (;;) {
      auto err = co_await kernel_->open();
      if (!err)
        break;
      if (unavailable_.empty())
        log_.warn("IPVS is not available in this kernel ({}): real servers are health-checked "
                  "and notified, no virtual server is programmed; asking again every {} s",
                  err->message, std::chrono::seconds(availability_retry).count());
      unavailable_ = err->message;
      wake_.expires_after(availability_retry);
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
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
    while (!stopping_) {
      if (!dirty_) {
        wake_.expires_after(next_repair_);
        auto [ec] = co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!ec)
          repairing_ = true; // the period ran out: a check that nobody changed our entries
        dirty_ = true;
        continue;
      }
      dirty_ = false;
      busy_ = true;
      auto began = std::chrono::steady_clock::now();
      bool ok = co_await reconcile();
      ok = co_await reconcile_globals() && ok;
      busy_ = false;
      repairing_ = false;
      next_repair_ = std::max<std::chrono::steady_clock::duration>(
          repair_period, (std::chrono::steady_clock::now() - began) * repair_cost_factor);
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
    ipvs::Table want = desired();
    auto dumped = co_await kernel_->dump();
    if (const auto* err = std::get_if<core::io::NetlinkError>(&dumped)) {
      log_.error("IPVS: cannot read the table: {}", err->message);
      co_return false;
    }
    // What counts as ours: what we want (existing entries are adopted as they are) and what we
    // made before. Everything else in the kernel is foreign and stays.
    ipvs::Table actual;
    for (auto& [key, entry] : std::get<ipvs::Table>(dumped))
      if (want.count(key) || owned_.count(key))
        actual.emplace(key, std::move(entry));
    if (!adopted_logged_) {
      adopted_logged_ = true;
      for (const auto& [key, entry] : actual)
        log_.info("IPVS: adopting the existing service {} ({})", ipvs::io::describe(key),
                  entry.service.scheduler);
    }
    auto ops = ipvs::plan(want, actual);
    if (repairing_ && !ops.empty()) {
      ++repairs_;
      log_.warn("IPVS: the kernel's table was changed behind vigild's back; {} operation(s) "
                "restore it",
                ops.size());
      for (const auto& op : ops)
        log_.info("IPVS: repair: {}", ipvs::io::describe(op));
    } else {
      for (const auto& op : ops)
        log_.debug("IPVS: {}", ipvs::io::describe(op));
    }
    operations_ += ops.size();
    auto failures = co_await kernel_->apply(ops);
    std::set<ipvs::ServiceKey> owned;
    for (const auto& [key, entry] : want)
      owned.insert(key);
    for (const auto& f : failures)
      if (f.op.kind == ipvs::OpKind::delete_service)
        owned.insert(f.op.service.key); // still there: still ours to remove
    owned_ = std::move(owned);
    report(failures);
    co_return failures.empty();
  }

  void report(const std::vector<ipvs::io::Failure>& failures) {
    refused_ += failures.size();
    for (const auto& f : failures)
      log_.error("IPVS: {}: {}", ipvs::io::describe(f.op), f.error.message);
  }

  asio::io_context& ctx_;
  spdlog::logger& log_;
  asio::steady_timer wake_;
  core::config::ConfigPtr config_;
  core::config::ConfigPtr tables_config_;
  std::vector<std::vector<check::Destination>> tables_;
  std::unique_ptr<ipvs::io::Kernel> kernel_;
  std::set<ipvs::ServiceKey> owned_;
  std::string unavailable_;
  std::uint64_t reconciles_ = 0;
  std::uint64_t operations_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t repairs_ = 0;
  std::chrono::steady_clock::duration next_repair_ = repair_period;
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
