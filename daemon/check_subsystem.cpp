#include "daemon/check_subsystem.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <tuple>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include "check/http.hpp"
#include "check/io/probe.hpp"
#include "check/schedule.hpp"
#include "check/service.hpp"
#include "core/io/file_watch.hpp"
#include "core/io/interfaces.hpp"
#include "core/io/process.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "daemon/identity.hpp"
#include "daemon/notifier.hpp"
#include "daemon/snmp_agent.hpp"
#include "daemon/trackers.hpp"

namespace vigil::daemon {

using namespace core::io; // the process runner, interfaces and netlink
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using core::Clock;
using core::TimePoint;
using core::config::Checker;
using core::config::CheckerKind;
using core::config::RealServer;
using core::config::VirtualServer;

/// Probes running at once at most; more due checks wait their turn (first due, first run).
/// Each probe holds at most one socket or one child process.
constexpr std::size_t max_in_flight = 4096;
/// How long stop() waits for probes in flight to end after cancelling them.
constexpr auto probe_drain = 2s;

/// One checker of one real server of one virtual server.
struct Sub {
  std::size_t vs = 0;
  std::size_t rs = 0;
  std::size_t checker = 0;
  bool operator==(const Sub&) const = default;
};

/// One probe, shared by every checker that probes the same target with the same settings
/// (keepalived #2111): one schedule, one result, many subscribers.
struct Group {
  Group(const Checker& k, check::io::Target t, std::optional<core::IpAddress> suspend,
        TimePoint now, double warmup_fraction)
      : checker(k), target(t), suspend_unless(suspend), schedule(checker, now, warmup_fraction) {
    checker.where = {};
    for (const auto& u : checker.urls)
      urls.emplace_back(u);
  }
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  bool same(const Checker& k, const check::io::Target& t,
            const std::optional<core::IpAddress>& s) const {
    return checker == k && target.address == t.address && target.port == t.port &&
           suspend_unless == s;
  }

  Checker checker;
  check::io::Target target;
  std::optional<core::IpAddress> suspend_unless; ///< ha_suspend: the VS address
  std::vector<check::UrlCheck> urls;             ///< refer to checker.urls
  std::optional<RunAs> run_as;                   ///< MISC_CHECK
  check::Schedule schedule;
  std::vector<Sub> subs;
  std::string desc; ///< "[10.0.0.2]:tcp:80"
  std::uint64_t checks = 0;
  std::uint64_t failures = 0;
  std::optional<check::io::ProbeResult> last;
  std::optional<std::int64_t> dynamic_weight; ///< misc_dynamic: the weight last asked for
  bool fresh = false;        ///< made by the build in progress (not kept from before a reload)
  std::uint64_t claimed = 0; ///< the last build that found a use for it
  bool in_flight = false;
  bool queued = false;
  bool retired = false;
  std::uint64_t armed = 0; ///< the heap entry that counts (older ones are skipped)
  asio::cancellation_signal cancel;
};
using GroupPtr = std::shared_ptr<Group>;

/// Probes by kind and target: where a new checker looks for a probe to share.
using GroupKey = std::tuple<int, core::IpAddress, std::uint16_t>;
GroupKey key_of(const Group& g) {
  return {int(g.checker.kind), g.target.address, g.target.port};
}

/// FILE_CHECK: follows a track_file instead of probing.
struct FileSub {
  Sub sub;
  std::string name; ///< the track_file
  std::int64_t weight = 0;
  bool reverse = false;
};

struct ServiceRun {
  explicit ServiceRun(const VirtualServer& vs) : svc(vs), name(core::config::describe_vs(vs)) {}
  /// describe_rs of each real server (metrics labels), made when first asked for: a start with
  /// tens of thousands of real servers has better things to do than name them for a scrape
  /// that may never come.
  const std::vector<std::string>& rs_names() const {
    if (named_ != &svc.config()) { // (a configuration is immutable: a new one is a new object)
      named_ = &svc.config();
      rs_names_.clear();
      for (const auto& rs : svc.config().real_servers)
        rs_names_.push_back(core::config::describe_rs(svc.config(), rs));
    }
    return rs_names_;
  }
  check::Service svc;
  std::string name;
  std::vector<check::Destination> table; ///< the desired table as last computed
  /// Per real server and checker: the group that probes it (nullptr for FILE_CHECK).
  std::vector<std::vector<GroupPtr>> groups;
  bool kept = false;    ///< carried unchanged through the reload in progress
  std::size_t slot = 0; ///< its position in services_ (and in the tables the sink hears)

private:
  mutable std::vector<std::string> rs_names_;
  mutable const VirtualServer* named_ = nullptr; ///< what rs_names_ names
};

std::string kind_name(CheckerKind k) {
  return core::config::checker_keyword(k);
}

std::string target_text(const VirtualServer& vs, const check::io::Target& t) {
  std::string a = t.address.to_string();
  return "[" + a + "]:" + core::config::protocol_name(vs.protocol) + ":" + std::to_string(t.port);
}

std::string dest_text(const VirtualServer& vs, const check::Destination& d) {
  return "[" + d.address.to_string() + "]:" + core::config::protocol_name(vs.protocol) + ":" +
         std::to_string(d.port);
}

class CheckSubsystem final : public Subsystem {
public:
  CheckSubsystem(asio::io_context& ctx, const Logs& logs, Interfaces& ifs, ProcessRunner& runner,
                 Notifier& notifier, SnmpAgent& snmp, TableSink& sink)
      : ctx_(ctx), log_(*logs.check), ifs_(ifs), runner_(runner), notifier_(notifier), snmp_(snmp),
        sink_(sink), prober_(ctx, runner), timer_(ctx), rng_(std::random_device{}()) {}

  std::string_view name() const override { return "check"; }

  void start(const core::config::ConfigPtr& config) override {
    if (config->virtual_servers.empty()) {
      config_ = config;
      sink_.tables(config, {});
      return;
    }
    raise_fd_limit();
    ifs_.on_address.add([this](const Address& a, bool removed) { address_changed(a, removed); });
    asio::co_spawn(ctx_, timer_loop(), asio::detached);
    loop_running_ = true;
    build(config, {});
  }

  void reload(const core::config::ConfigPtr& next, const core::config::ConfigDiff& diff) override {
    if (!loop_running_) {
      start(next);
      return;
    }
    // (a reload to no virtual server at all still rebuilds: the sink hears an empty table)
    build(next, std::move(services_), &diff);
  }

  asio::awaitable<void> stop() override {
    stopping_ = true;
    timer_.cancel();
    // omega: the live real servers go down and quorum is lost, with their notifications.
    for (auto& s : services_)
      handle(*s, s->svc.shutdown());
    for (auto& g : groups_)
      if (g->in_flight)
        g->cancel.emit(asio::cancellation_type::terminal);
    asio::steady_timer t(ctx_);
    auto deadline = Clock::now() + probe_drain;
    while (in_flight_ > 0 && Clock::now() < deadline) {
      t.expires_after(10ms);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (in_flight_ > 0)
      log_.warn("{} health check(s) still running at stop", in_flight_);
  }

  std::string state_json() const override { return json_of_parts(); }

  /// The virtual servers in slices of `slice` (40,000 real servers make an 11 MB document).
  void state_parts(std::vector<JsonPart>& parts) const override {
    static constexpr std::size_t slice = 25;
    parts.push_back([this](core::Json& j) {
      j.begin_object();
      j.key("probes").value(static_cast<unsigned long long>(groups_.size()));
      j.key("in_flight").value(static_cast<unsigned long long>(in_flight_));
      j.key("waiting").value(static_cast<unsigned long long>(ready_.size()));
      j.key("virtual_servers").begin_array();
    });
    // Each part looks the services up when it runs: a reload between two parts may have
    // replaced them (the page then shows some of each, never a dangling one).
    for (std::size_t k = 0; k * slice < services_.size(); ++k)
      parts.push_back([this, k](core::Json& j) {
        for (std::size_t i = k * slice; i < services_.size() && i < (k + 1) * slice; ++i)
          service_json(j, *services_[i]);
      });
    parts.push_back([](core::Json& j) { j.end_array().end_object(); });
  }

  void metrics(std::vector<MetricPart>& parts) const override {
    // Each family in slices of virtual servers, one slice per part: with 40,000 real servers
    // no part writes more than a few thousand lines. (A family's slices follow each other, so
    // the family stays contiguous on the page.)
    using T = core::Metrics::Type;
    static constexpr std::size_t slice = 25;
    auto family = [&](const char* name, T type, const char* help, auto per_service) {
      const std::size_t n = std::max<std::size_t>(1, (services_.size() + slice - 1) / slice);
      for (std::size_t k = 0; k < n; ++k)
        parts.push_back([this, name, type, help, per_service, k](core::Metrics& m) {
          if (k == 0)
            m.family(name, type, help);
          for (std::size_t i = k * slice; i < services_.size() && i < (k + 1) * slice; ++i)
            per_service(m, *services_[i]);
        });
    };
    family("vigil_virtual_server_quorum_up", T::gauge,
           "1 while the virtual server has quorum (live weight at or above quorum)",
           [](core::Metrics& m, const ServiceRun& s) {
             m.sample({{"vs", s.name}}, s.svc.quorum_up() ? 1.0 : 0.0);
           });
    family("vigil_virtual_server_live_weight", T::gauge,
           "Sum of the weights of the live real servers",
           [](core::Metrics& m, const ServiceRun& s) {
             m.sample({{"vs", s.name}}, double(s.svc.live_weight()));
           });
    family("vigil_real_server_up", T::gauge, "1 while every checker of the real server succeeds",
           [](core::Metrics& m, const ServiceRun& s) {
             const auto& names = s.rs_names();
             for (std::size_t r = 0; r < names.size(); ++r)
               m.sample({{"vs", s.name}, {"rs", names[r]}}, s.svc.rs_up(r) ? 1.0 : 0.0);
           });
    family("vigil_real_server_weight", T::gauge, "The real server's current weight",
           [](core::Metrics& m, const ServiceRun& s) {
             const auto& names = s.rs_names();
             for (std::size_t r = 0; r < names.size(); ++r)
               m.sample({{"vs", s.name}, {"rs", names[r]}}, double(s.svc.rs_weight(r)));
           });
    // Per checker: its counters, the last check's latency and whether it failed (with why).
    auto each_checker = [](const ServiceRun& s, auto each) {
      static const std::vector<std::string> kinds = [] {
        std::vector<std::string> k;
        for (int i = 0; i <= int(CheckerKind::file_check); ++i)
          k.push_back(kind_name(CheckerKind(i)));
        return k;
      }();
      const VirtualServer& vs = s.svc.config();
      for (std::size_t r = 0; r < vs.real_servers.size(); ++r)
        for (std::size_t c = 0; c < vs.real_servers[r].checkers.size(); ++c)
          if (const auto& g = s.groups[r][c])
            each(s.rs_names()[r], kinds[std::size_t(vs.real_servers[r].checkers[c].kind)], *g);
    };
    family("vigil_checks_total", T::counter, "Checks done per checker",
           [each_checker](core::Metrics& m, const ServiceRun& s) {
             each_checker(s, [&](const std::string& rs, const std::string& kind, const Group& g) {
               m.sample({{"vs", s.name}, {"rs", rs}, {"checker", kind}}, g.checks);
             });
           });
    family("vigil_checks_failed_total", T::counter, "Failed checks per checker",
           [each_checker](core::Metrics& m, const ServiceRun& s) {
             each_checker(s, [&](const std::string& rs, const std::string& kind, const Group& g) {
               m.sample({{"vs", s.name}, {"rs", rs}, {"checker", kind}}, g.failures);
             });
           });
    family("vigil_check_latency_seconds", T::gauge, "Duration of the checker's last check",
           [each_checker](core::Metrics& m, const ServiceRun& s) {
             each_checker(s, [&](const std::string& rs, const std::string& kind, const Group& g) {
               if (g.last)
                 m.sample({{"vs", s.name}, {"rs", rs}, {"checker", kind}},
                          std::chrono::duration<double>(g.last->latency).count());
             });
           });
    family("vigil_check_failing", T::gauge,
           "1 when the checker's last check failed, labelled with the reason",
           [each_checker](core::Metrics& m, const ServiceRun& s) {
             each_checker(s, [&](const std::string& rs, const std::string& kind, const Group& g) {
               if (g.last && !g.last->ok)
                 m.sample(
                     {{"vs", s.name}, {"rs", rs}, {"checker", kind}, {"reason", g.last->reason}},
                     1.0);
             });
           });
  }

private:
  // --- building from a configuration ------------------------------------------------------

  static bool uses_tls(const core::config::Config& config) {
    for (const auto& vs : config.virtual_servers)
      for (const auto& rs : vs.real_servers)
        for (const auto& k : rs.checkers)
          if (k.kind == CheckerKind::ssl_get)
            return true;
    return false;
  }

  /// Makes the probes and services of `config`. Probes identical to running ones are kept
  /// with their schedule, verdict and counters; services of `old` carry their real servers'
  /// state over, so a reload notifies only what really changed.
  void build(const core::config::ConfigPtr& config, std::vector<std::unique_ptr<ServiceRun>> old,
             const core::config::ConfigDiff* diff = nullptr) {
    building_ = true;
    const auto now = Clock::now();
    // The SSL block: replaced only when it changed (probes in flight keep using the old one).
    // (not before an SSL_GET or an SSL block needs it: setting up OpenSSL costs a start with
    // no TLS at all several milliseconds)
    if ((!tls_set_ || tls_config_ != config->ssl) && (config->ssl || uses_tls(*config))) {
      if (auto why = prober_.configure_tls(config->ssl))
        log_.error("SSL: {}; SSL_GET checks fail until the SSL block is fixed", *why);
      tls_config_ = config->ssl;
      tls_set_ = true;
    }
    ++build_gen_;
    file_subs_.clear();
    std::map<std::string, std::optional<RunAs>> identities; // resolved once per script user
    std::uniform_real_distribution<double> warmup(0.0, 1.0);
    std::vector<std::unique_ptr<ServiceRun>> services;
    services.reserve(config->virtual_servers.size());
    std::vector<GroupPtr> made; // the probes this build creates
    // The probe index (index_) lives across builds, so a reload of 37,000 real servers neither
    // compares each new checker with every old one (keepalived #2318 was that O(n^2), 132 s)
    // nor rebuilds an index of them all. Which virtual servers are unchanged the parse worker
    // worked out (`diff`: old services_ are in the running configuration's order).
    const bool diff_fits = diff && diff->unchanged_vs.size() == config->virtual_servers.size();
    for (std::size_t v = 0; v < config->virtual_servers.size(); ++v) {
      const VirtualServer& vs = config->virtual_servers[v];
      // An unchanged virtual server keeps its run (state, table, names) and its probes as they
      // are: a reload that changes one real server of 37,000 touches that one.
      const auto was = diff_fits ? diff->unchanged_vs[v] : std::nullopt;
      if (was && *was < old.size() && old[*was]) {
        auto run = std::move(old[*was]);
        run->svc.rebind(vs);
        run->kept = true;
        for (std::size_t r = 0; r < vs.real_servers.size(); ++r) {
          const RealServer& rs = vs.real_servers[r];
          for (std::size_t c = 0; c < rs.checkers.size(); ++c) {
            const Checker& k = rs.checkers[c];
            if (k.kind == CheckerKind::file_check)
              file_subs_.push_back({Sub{v, r, c}, k.track_file, k.file_weight, k.file_reverse});
            else
              run->groups[r][c]->claimed = build_gen_;
          }
        }
        services.push_back(std::move(run));
        continue;
      }
      auto run = std::make_unique<ServiceRun>(vs);
      std::optional<core::IpAddress> suspend;
      if (vs.ha_suspend && vs.kind == core::config::VsKind::address && vs.address)
        suspend = vs.address;
      run->groups.resize(vs.real_servers.size());
      for (std::size_t r = 0; r < vs.real_servers.size(); ++r) {
        const RealServer& rs = vs.real_servers[r];
        run->groups[r].resize(rs.checkers.size());
        for (std::size_t c = 0; c < rs.checkers.size(); ++c) {
          const Checker& k = rs.checkers[c];
          if (k.kind == CheckerKind::file_check) {
            file_subs_.push_back({Sub{v, r, c}, k.track_file, k.file_weight, k.file_reverse});
            continue;
          }
          check::io::Target t{k.connect_ip.value_or(rs.address), k.connect_port.value_or(rs.port)};
          if (t.port == 0 && k.kind == CheckerKind::smtp_check)
            t.port = 25;
          if (t.port == 0 && k.kind == CheckerKind::dns_check)
            t.port = 53;
          Checker key = k;
          key.where = {};
          // A running probe of the same target and settings is shared (keepalived #2111): one
          // this build made for another real server, one an unchanged virtual server keeps, or
          // one the previous configuration had (it keeps its schedule, verdict and counters).
          auto& bucket = index_[GroupKey{int(k.kind), t.address, t.port}];
          GroupPtr g;
          for (auto& cand : bucket)
            if (cand->same(key, t, suspend)) {
              g = cand;
              break;
            }
          if (!g) {
            g = std::make_shared<Group>(key, t, suspend, now, warmup(rng_));
            g->desc = target_text(vs, t);
            if (k.kind == CheckerKind::misc_check && k.misc_path) {
              std::string who = k.misc_path->run_as ? k.misc_path->run_as->user + ":" +
                                                          k.misc_path->run_as->group.value_or("")
                                                    : std::string();
              auto it = identities.find(who);
              if (it == identities.end())
                it = identities
                         .emplace(who, script_identity(config->global_defs, *k.misc_path, log_))
                         .first;
              g->run_as = it->second;
            }
            g->fresh = true;
            if (suspend && !ifs_.has_local_address(*suspend)) {
              g->schedule.suspend();
              log_.info("ha_suspend: {} is not on this host; {} checks of {} are suspended",
                        suspend->to_string(), kind_name(k.kind), g->desc);
            }
            arm(g);
            bucket.push_back(g);
            groups_.push_back(g);
            made.push_back(g);
          }
          g->claimed = build_gen_;
          if (g->fresh)
            log_.info("Activating healthchecker for service {} for VS {}",
                      core::config::describe_rs(vs, rs), run->name);
          run->groups[r][c] = g;
        }
      }
      services.push_back(std::move(run));
    }
    // Probes no virtual server uses any more stop and leave the index.
    std::erase_if(groups_, [&](const GroupPtr& g) {
      if (g->claimed == build_gen_)
        return false;
      retire(*g);
      if (auto it = index_.find(key_of(*g)); it != index_.end()) {
        std::erase(it->second, g);
        if (it->second.empty())
          index_.erase(it);
      }
      return true;
    });
    for (auto& g : made)
      g->fresh = false;
    // Every probe's subscribers follow the new positions: one pass, no lookups.
    for (auto& g : groups_)
      g->subs.clear();
    for (std::size_t v = 0; v < services.size(); ++v) {
      auto& run = *services[v];
      run.slot = v;
      for (std::size_t r = 0; r < run.groups.size(); ++r)
        for (std::size_t c = 0; c < run.groups[r].size(); ++c)
          if (const auto& g = run.groups[r][c])
            g->subs.push_back({v, r, c});
    }

    // Carry state into the new services: each kept probe's verdict (and dynamic weight) is
    // replayed silently; notifications then go only for what differs from before.
    config_ = config;
    services_ = std::move(services);
    setup_files(*config);
    // Old services by name, and file subscriptions by service: linear in the config's size.
    std::unordered_map<std::string_view, const ServiceRun*> old_by_name;
    for (const auto& o : old)
      if (o)
        old_by_name.emplace(o->name, o.get());
    std::unordered_map<const ServiceRun*, std::vector<const FileSub*>> files_of;
    for (const auto& f : file_subs_)
      files_of[services_[f.sub.vs].get()].push_back(&f);
    for (auto& s : services_) {
      if (std::exchange(s->kept, false))
        continue; // unchanged: its state, table and notifications stand
      const VirtualServer& vs = s->svc.config();
      for (std::size_t r = 0; r < s->groups.size(); ++r)
        for (std::size_t c = 0; c < s->groups[r].size(); ++c)
          if (const auto& g = s->groups[r][c]; g && (g->checks > 0 || g->last))
            (void)s->svc.set_checker(r, c, g->schedule.health() == check::Health::up,
                                     dynamic_delta(*g, vs.real_servers[r]));
      if (auto it = files_of.find(s.get()); it != files_of.end())
        for (const FileSub* f : it->second)
          (void)apply_file(*s, *f, false);
      auto found = old_by_name.find(s->name);
      const ServiceRun* before = found == old_by_name.end() ? nullptr : found->second;
      if (!before) {
        log_.debug("Virtual server {}: {} real server(s), quorum {}", s->name,
                   vs.real_servers.size(), vs.quorum);
        // keepalived reports the quorum at start either way (Gained quorum, quorum_up, the
        // VS UP line), not only when it is missing.
        auto events = s->svc.start();
        if (events.empty() && s->svc.quorum_up())
          events.push_back(check::QuorumChange{true, s->svc.live_weight()});
        handle(*s, std::move(events), true);
      } else {
        s->table = before->table;
        check::ServiceEvents events;
        const VirtualServer& ovs = before->svc.config();
        std::map<std::string, std::size_t> old_rs;
        for (std::size_t o = 0; o < ovs.real_servers.size(); ++o)
          old_rs.emplace(core::config::describe_rs(ovs, ovs.real_servers[o]), o);
        for (std::size_t r = 0; r < vs.real_servers.size(); ++r)
          if (auto it = old_rs.find(core::config::describe_rs(vs, vs.real_servers[r]));
              it != old_rs.end() && before->svc.rs_up(it->second) != s->svc.rs_up(r))
            events.push_back(check::RsChange{r, s->svc.rs_up(r)});
        if (before->svc.quorum_up() != s->svc.quorum_up())
          events.push_back(check::QuorumChange{s->svc.quorum_up(), s->svc.live_weight()});
        handle(*s, std::move(events));
      }
    }
    std::unordered_set<std::string_view> now_names;
    for (const auto& s : services_)
      now_names.insert(s->name);
    for (const auto& o : old)
      if (o && !now_names.count(o->name))
        log_.info("Virtual server {} removed by the reload", o->name);
    building_ = false;
    std::vector<std::vector<check::Destination>> tables;
    tables.reserve(services_.size());
    for (const auto& s : services_)
      tables.push_back(s->table);
    sink_.tables(config, std::move(tables));
  }

  void retire(Group& g) {
    g.retired = true;
    if (g.in_flight)
      g.cancel.emit(asio::cancellation_type::terminal);
  }

  /// FILE_CHECK: every referenced track_file is read now and followed through inotify.
  void setup_files(const core::config::Config& config) {
    files_ = std::make_unique<FileWatch>(ctx_);
    file_values_.clear();
    std::set<std::string> names;
    for (const auto& f : file_subs_)
      names.insert(f.name);
    for (const auto& name : names) {
      const auto* tf = config.find_track_file(name);
      if (!tf)
        continue; // the loader refuses this
      init_track_file(*tf, log_);
      std::string why;
      auto content = files_->watch(
          tf->file,
          [this, name](const std::optional<std::string>& now) { file_changed(name, now); }, why);
      if (!why.empty())
        log_.error("FILE_CHECK track_file {}: {}", name, why);
      file_values_[name] = track_file_value(content);
    }
  }

  void file_changed(const std::string& name, const std::optional<std::string>& content) {
    if (stopping_)
      return;
    long v = track_file_value(content);
    auto& held = file_values_[name];
    if (held == v)
      return;
    log_.info("FILE_CHECK track_file {} now holds {}", name,
              content ? std::to_string(v) : "nothing (removed)");
    held = v;
    for (const auto& f : file_subs_)
      if (f.name == name)
        handle(*services_[f.sub.vs], apply_file(*services_[f.sub.vs], f, true));
  }

  /// A FILE_CHECK's verdict from its file: with weight 0 a non-zero value is a failure; with a
  /// weight the value times the weight (negated with `reverse`) adjusts the real server's
  /// weight and the checker stays up.
  check::ServiceEvents apply_file(ServiceRun& s, const FileSub& f, bool log) {
    long v = file_values_[f.name];
    bool up = true;
    std::int64_t delta = 0;
    if (f.weight == 0)
      up = v == 0;
    else
      delta = std::int64_t(v) * f.weight * (f.reverse ? -1 : 1);
    const auto& vs = s.svc.config();
    const auto& rs = vs.real_servers[f.sub.rs];
    if (log && s.svc.checker_up(f.sub.rs, f.sub.checker) != up)
      log_.info("FILE_CHECK track_file {} of {} VS {}: {}", f.name,
                core::config::describe_rs(vs, rs), s.name, up ? "success" : "failed");
    return s.svc.set_checker(f.sub.rs, f.sub.checker, up, delta);
  }

  // --- the schedule: one heap of deadlines, one timer -------------------------------------

  struct Entry {
    TimePoint at;
    std::uint64_t gen;
    GroupPtr g;
    bool operator>(const Entry& o) const { return at > o.at; }
  };

  void arm(const GroupPtr& g) {
    TimePoint at = g->schedule.next_check();
    g->armed = ++generation_;
    if (at == TimePoint::max())
      return; // suspended: resume() re-arms
    heap_.push({at, g->armed, g});
    if (at < timer_.expiry())
      timer_.cancel(); // the loop re-reads the heap
  }

  asio::awaitable<void> timer_loop() {
    while (!stopping_) {
      auto now = Clock::now();
      while (!heap_.empty() && heap_.top().at <= now) {
        Entry e = heap_.top();
        heap_.pop();
        if (e.g->retired || e.gen != e.g->armed || e.g->in_flight || e.g->queued)
          continue;
        if (in_flight_ < max_in_flight) {
          launch(e.g);
        } else {
          e.g->queued = true;
          ready_.push_back(e.g);
        }
      }
      timer_.expires_at(heap_.empty() ? TimePoint::max() : heap_.top().at);
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  void launch(const GroupPtr& g) {
    g->in_flight = true;
    ++in_flight_;
    asio::co_spawn(ctx_, run_probe(g),
                   asio::bind_cancellation_slot(g->cancel.slot(), asio::detached));
  }

  asio::awaitable<void> run_probe(GroupPtr g) {
    check::io::ProbeContext context;
    context.urls = g->urls;
    context.only_url = g->schedule.recovery_step();
    context.run_as = g->run_as;
    check::io::ProbeResult r;
    try {
      r = co_await prober_.run(g->checker, g->target, context);
    } catch (const std::exception& e) {
      r.ok = false;
      r.reason = std::string("internal error: ") + e.what();
    }
    g->in_flight = false;
    --in_flight_;
    if (!g->retired && !stopping_)
      finished(g, std::move(r));
    while (!ready_.empty() && in_flight_ < max_in_flight && !stopping_) {
      GroupPtr next = std::move(ready_.front());
      ready_.pop_front();
      next->queued = false;
      if (!next->retired && !next->schedule.suspended())
        launch(next);
    }
  }

  std::int64_t dynamic_delta(const Group& g, const RealServer& rs) const {
    if (!g.dynamic_weight)
      return 0;
    return *g.dynamic_weight - std::int64_t(rs.weight);
  }

  /// "[[10.0.0.2]:tcp:80 VS [10.0.0.100]:tcp:80] by [/bin/check]" for MISC_CHECK lines.
  std::string misc_subject(const Group& g) const {
    std::string who;
    if (!g.subs.empty()) {
      const auto& s = *services_[g.subs.front().vs];
      who = core::config::describe_rs(s.svc.config(),
                                      s.svc.config().real_servers[g.subs.front().rs]) +
            " VS " + s.name;
    }
    std::string prog = g.checker.misc_path && !g.checker.misc_path->argv.empty()
                           ? g.checker.misc_path->argv.front()
                           : std::string("?");
    return "[" + who + "] by [" + prog + "]";
  }

  /// keepalived's line for a check that passes (first success, or back up).
  std::string success_line(const Group& g) const {
    switch (g.checker.kind) {
    case CheckerKind::tcp_check:
      return "TCP connection to " + g.desc + " success.";
    case CheckerKind::http_get:
    case CheckerKind::ssl_get:
      return "Remote Web server " + g.desc + " succeed on service.";
    case CheckerKind::misc_check:
      return "Misc check for " + misc_subject(g) + " succeeded.";
    default:
      return kind_name(g.checker.kind) + " on service " + g.desc + " succeeded.";
    }
  }

  /// keepalived's line for a check that went down, then the reason.
  std::string failure_line(const Group& g, std::uint32_t attempts) const {
    const std::string reason = g.last ? g.last->reason : std::string();
    const std::uint32_t retries = attempts > 0 ? attempts - 1 : 0;
    if (g.checker.kind == CheckerKind::misc_check)
      return "Misc check for " + misc_subject(g) + " failed " +
             (g.checker.retry == 0
                  ? std::string("with retry disabled")
                  : "after " + std::to_string(retries) + (retries == 1 ? " retry" : " retries")) +
             " (" + reason + ").";
    std::string kind = g.checker.kind == CheckerKind::http_get  ? "HTTP_CHECK"
                       : g.checker.kind == CheckerKind::ssl_get ? "SSL_CHECK"
                                                                : kind_name(g.checker.kind);
    return kind + " on service " + g.desc + " failed" +
           (retries == 0 ? std::string(".") : " after " + std::to_string(retries) + " retries.") +
           " Reason: " + reason;
  }

  /// keepalived's line for one failed attempt (logged with log_all_failures).
  std::string attempt_line(const Group& g, const std::string& reason) const {
    switch (g.checker.kind) {
    case CheckerKind::tcp_check:
      return "TCP connection to " + g.desc +
             (reason.find("timed out") != std::string::npos ? " timeout." : " failed.") +
             " Reason: " + reason;
    case CheckerKind::http_get:
    case CheckerKind::ssl_get:
      if (reason.find("MD5 digest") != std::string::npos)
        return "MD5 digest error to server " + g.desc + ". Reason: " + reason;
      if (reason.find("HTTP status code") != std::string::npos)
        return "HTTP status code error to server " + g.desc + ". Reason: " + reason;
      if (reason.find("connect") != std::string::npos ||
          reason.find("refused") != std::string::npos)
        return "Connection failed server " + g.desc + ". Reason: " + reason;
      return kind_name(g.checker.kind) + " to " + g.desc + " failed. Reason: " + reason;
    default:
      return kind_name(g.checker.kind) + " to " + g.desc + " failed. Reason: " + reason;
    }
  }

  void finished(const GroupPtr& g, check::io::ProbeResult r) {
    const auto now = Clock::now();
    ++g->checks;
    const std::string kind = kind_name(g->checker.kind);
    if (r.ok) {
      log_.debug("{} to {} success ({})", kind, g->desc, r.reason);
    } else {
      ++g->failures;
      bool loud = g->checker.log_all_failures || config_->global_defs.checker_log_all_failures;
      if (loud)
        log_.info("{}", attempt_line(*g, r.reason));
      else
        log_.debug("{}", attempt_line(*g, r.reason));
    }
    bool weight_changed = false;
    if (r.ok && g->checker.misc_dynamic && r.dynamic_weight &&
        r.dynamic_weight != g->dynamic_weight) {
      g->dynamic_weight = r.dynamic_weight;
      weight_changed = true;
    }
    const bool ok = r.ok;
    const bool first = g->checks == 1;
    auto verdict = g->schedule.report(ok, now);
    g->last = std::move(r);
    const bool up_now = g->schedule.health() == check::Health::up;
    if ((verdict && up_now) || (first && ok && up_now))
      log_.info("{}", success_line(*g));
    else if (verdict)
      log_.info("{}", failure_line(*g, verdict->failed_attempts));
    else if (!ok && up_now)
      log_.debug("{} on service {}: retry {} of {} in {} s", kind, g->desc,
                 g->schedule.retries_used(), g->checker.retry,
                 std::chrono::duration<double>(g->checker.delay_before_retry).count());
    if (verdict || weight_changed) {
      const bool up = g->schedule.health() == check::Health::up;
      for (const auto& sub : g->subs) {
        auto& s = *services_[sub.vs];
        const auto& rs = s.svc.config().real_servers[sub.rs];
        handle(s, s.svc.set_checker(sub.rs, sub.checker, up, dynamic_delta(*g, rs)));
      }
    }
    arm(g);
  }

  // --- acting on changes ------------------------------------------------------------------

  /// Logs and notifies `events` of `s`, then logs how its desired table changed.
  void handle(ServiceRun& s, check::ServiceEvents events, bool at_start = false) {
    const VirtualServer& vs = s.svc.config();
    auto alive = [&] {
      std::size_t n = 0;
      for (std::size_t r = 0; r < vs.real_servers.size(); ++r)
        n += s.svc.rs_up(r) ? 1 : 0;
      return n;
    };
    for (const auto& e : events) {
      if (const auto* rc = std::get_if<check::RsChange>(&e)) {
        const RealServer& rs = vs.real_servers[rc->rs];
        notifier_.real_server(vs, rs, rc->up);
        if (snmp_.checker_traps()) // (alive() walks the service: not for every start-up change)
          snmp_.real_server(vs, rs, rc->up, alive(), vs.real_servers.size());
      } else if (const auto* q = std::get_if<check::QuorumChange>(&e)) {
        if (q->up)
          log_.info("Gained quorum {}+{}={} <= {} for VS {}", vs.quorum, vs.hysteresis,
                    std::int64_t(vs.quorum) + vs.hysteresis, q->live_weight, s.name);
        else
          log_.info("Lost quorum {}-{}={} > {} for VS {}", vs.quorum, vs.hysteresis,
                    std::int64_t(vs.quorum) - vs.hysteresis, q->live_weight, s.name);
        notifier_.quorum(vs, q->up);
        if (snmp_.checker_traps())
          snmp_.quorum(vs, q->up, alive(), vs.real_servers.size());
      }
    }
    auto table = s.svc.desired();
    const bool changed = table != s.table;
    if (changed && !at_start)
      log_table(s, s.table, table);
    s.table = std::move(table);
    if (changed && !building_)
      sink_.table(s.slot, s.table);
  }

  /// What the kernel table of `s` would change by, as keepalived logs its IPVS changes.
  void log_table(const ServiceRun& s, const std::vector<check::Destination>& before,
                 const std::vector<check::Destination>& after) {
    auto find = [](const std::vector<check::Destination>& list, const check::Destination& d) {
      return std::find_if(list.begin(), list.end(), [&](const auto& x) {
        return x.address == d.address && x.port == d.port;
      });
    };
    for (const auto& d : before)
      if (find(after, d) == after.end())
        log_.info("Removing {}service {} from VS {}", d.sorry ? "sorry server " : "",
                  dest_text(s.svc.config(), d), s.name);
    for (const auto& d : after) {
      auto it = find(before, d);
      if (it == before.end()) {
        log_.info("Adding {}service {} to VS {}", d.sorry ? "sorry server " : "",
                  dest_text(s.svc.config(), d), s.name);
      } else if (it->weight != d.weight) {
        if (d.weight == 0)
          log_.info("Disabling service {} of VS {}", dest_text(s.svc.config(), d), s.name);
        else if (it->weight == 0)
          log_.info("Enabling service {} of VS {}", dest_text(s.svc.config(), d), s.name);
        else
          log_.info("Changing weight from {} to {} for active service {} of VS {}", it->weight,
                    d.weight, dest_text(s.svc.config(), d), s.name);
      }
    }
  }

  // --- ha_suspend -------------------------------------------------------------------------

  void address_changed(const Address& a, bool removed) {
    if (stopping_)
      return;
    bool local = ifs_.has_local_address(a.address);
    for (auto& g : groups_) {
      if (!g->suspend_unless || !(*g->suspend_unless == a.address))
        continue;
      if (!local && !g->schedule.suspended()) {
        g->schedule.suspend();
        log_.info("ha_suspend: {} left this host; suspending {} checks of {}",
                  a.address.to_string(), kind_name(g->checker.kind), g->desc);
        arm(g);
      } else if (local && g->schedule.suspended()) {
        g->schedule.resume(Clock::now());
        log_.info("ha_suspend: {} is on this host again; resuming {} checks of {}",
                  a.address.to_string(), kind_name(g->checker.kind), g->desc);
        arm(g);
      }
    }
    (void)removed;
  }

  // --- environment ------------------------------------------------------------------------

  /// Thousands of probes need thousands of sockets: raise the soft descriptor limit to the hard.
  void raise_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
      return;
    auto before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) == 0)
      log_.debug("open file limit raised from {} to {}", before, rl.rlim_cur);
  }

  // --- state ------------------------------------------------------------------------------

  void service_json(core::Json& j, const ServiceRun& s) const {
    const VirtualServer& vs = s.svc.config();
    j.begin_object();
    j.key("name").value(s.name);
    j.key("quorum").value(static_cast<long long>(vs.quorum));
    j.key("hysteresis").value(static_cast<long long>(vs.hysteresis));
    j.key("quorum_up").value(s.svc.quorum_up());
    j.key("live_weight").value(static_cast<long long>(s.svc.live_weight()));
    j.key("real_servers").begin_array();
    for (std::size_t r = 0; r < vs.real_servers.size(); ++r) {
      const RealServer& rs = vs.real_servers[r];
      j.begin_object();
      j.key("address").value(core::config::describe_rs(vs, rs));
      j.key("up").value(s.svc.rs_up(r));
      j.key("weight").value(static_cast<long long>(s.svc.rs_weight(r)));
      j.key("checkers").begin_array();
      for (std::size_t c = 0; c < rs.checkers.size(); ++c) {
        const Checker& k = rs.checkers[c];
        j.begin_object();
        j.key("kind").value(kind_name(k.kind));
        j.key("up").value(s.svc.checker_up(r, c));
        if (const auto& g = s.groups[r][c]) {
          j.key("target").value(g->desc);
          j.key("shared_by").value(static_cast<long long>(g->subs.size()));
          j.key("suspended").value(g->schedule.suspended());
          j.key("checks").value(static_cast<unsigned long long>(g->checks));
          j.key("failures").value(static_cast<unsigned long long>(g->failures));
          j.key("retries_used").value(static_cast<long long>(g->schedule.retries_used()));
          if (g->last) {
            j.key("last_ok").value(g->last->ok);
            j.key("last_reason").value(g->last->reason);
            j.key("last_latency_ms")
                .value(std::chrono::duration<double, std::milli>(g->last->latency).count());
          }
          if (g->dynamic_weight)
            j.key("dynamic_weight").value(static_cast<long long>(*g->dynamic_weight));
        } else {
          j.key("track_file").value(k.track_file);
          auto it = file_values_.find(k.track_file);
          if (it != file_values_.end())
            j.key("value").value(static_cast<long long>(it->second));
        }
        j.end_object();
      }
      j.end_array();
      j.end_object();
    }
    j.end_array();
    j.key("table").begin_array();
    for (const auto& d : s.table) {
      j.begin_object();
      j.key("address").value(dest_text(s.svc.config(), d));
      j.key("weight").value(static_cast<long long>(d.weight));
      if (d.sorry)
        j.key("sorry_server").value(true);
      j.end_object();
    }
    j.end_array();
    j.end_object();
  }

  asio::io_context& ctx_;
  spdlog::logger& log_;
  Interfaces& ifs_;
  ProcessRunner& runner_;
  Notifier& notifier_;
  SnmpAgent& snmp_;
  TableSink& sink_;
  check::io::Prober prober_;
  asio::steady_timer timer_;
  std::mt19937_64 rng_;
  core::config::ConfigPtr config_;
  std::vector<GroupPtr> groups_;
  std::map<GroupKey, std::vector<GroupPtr>> index_; ///< every probe in groups_, by key_of()
  std::uint64_t build_gen_ = 0;
  std::vector<std::unique_ptr<ServiceRun>> services_;
  std::vector<FileSub> file_subs_;
  std::unique_ptr<FileWatch> files_;
  std::map<std::string, long> file_values_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::deque<GroupPtr> ready_;
  std::uint64_t generation_ = 0;
  std::size_t in_flight_ = 0;
  std::optional<core::config::SslContext> tls_config_;
  bool tls_set_ = false;
  bool loop_running_ = false;
  bool building_ = false;
  bool stopping_ = false;
};

} // namespace

std::unique_ptr<Subsystem> make_check_subsystem(asio::io_context& ctx, const Logs& logs,
                                                Interfaces& interfaces, ProcessRunner& runner,
                                                Notifier& notifier, SnmpAgent& snmp,
                                                TableSink& sink) {
  return std::make_unique<CheckSubsystem>(ctx, logs, interfaces, runner, notifier, snmp, sink);
}

} // namespace vigil::daemon
