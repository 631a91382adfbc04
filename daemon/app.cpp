#include "daemon/app.hpp"

#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/config_loader.hpp"
#include "core/json.hpp"
#include "core/io/interfaces.hpp"
#include "core/io/process.hpp"
#include "daemon/check_subsystem.hpp"
#include "daemon/identity.hpp"
#include "daemon/ipvs_subsystem.hpp"
#include "core/digest.hpp"
#include "core/metrics.hpp"
#include "daemon/notifier.hpp"
#include "daemon/sd_notify.hpp"
#include "daemon/snmp_agent.hpp"
#include "daemon/status_server.hpp"
#include "daemon/subsystem.hpp"
#include "daemon/vrrp_subsystem.hpp"
#include "daemon/worker.hpp"

namespace vigil::daemon {

using namespace core::io; // the process runner and the SMTP client
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

constexpr auto stop_timeout = 10s;

/// Logs each diagnostic as one line (position, severity, message, note).
void log_diagnostics(spdlog::logger& log, const core::Diagnostics& diags) {
  for (const auto& d : diags.items()) {
    std::string line = d.pos.file + ':' + std::to_string(d.pos.line) + ':' +
                       std::to_string(d.pos.col) + ": " + d.message;
    if (!d.note.empty())
      line += " (" + d.note + ')';
    if (d.severity == core::Severity::error)
      log.error("{}", line);
    else
      log.warn("{}", line);
  }
}

class App {
public:
  App(const Options& options, const Logs& logs) : options_(options), logs_(logs) {}

  int run() {
    const auto began = std::chrono::steady_clock::now();
    auto loaded = load(UnactedPolicy::error);
    logs_.config->debug("read {} in {} ms", options_.config_file,
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - began)
                            .count());
    if (!loaded.config) {
      std::fputs(core::render_all(loaded.diagnostics).c_str(), stderr);
      logs_.config->error("cannot start: the configuration {} has errors", options_.config_file);
      return 2;
    }
    log_diagnostics(*logs_.config, loaded.diagnostics);
    config_ = loaded.config;
    // Hashing 2.5 MB of statements (40,000 real servers) is not worth delaying the start for:
    // the worker does it; a page that asks first computes it here.
    startup_text_ = loaded.text;
    worker_.post([this, config = config_, text = loaded.text] {
      asio::post(ctx_, [this, config, hash = statement_hash(*text)] {
        if (config == config_ && config_hash_.empty())
          config_hash_ = hash;
        startup_text_.reset();
      });
    });
    // The status endpoint first: an address it cannot bind stops the start before anything
    // touches the network.
    if (options_.status_listen) {
      try {
        status_ = std::make_unique<StatusServer>(
            ctx_, *logs_.daemon, options_.status_listen->address, options_.status_listen->port,
            StatusPages{[this] { return metrics_page(); }, [this] { return status_page(); },
                        [this] { return health(); }});
      } catch (const std::system_error& e) {
        logs_.daemon->critical("--status-listen: {}: {}", e.what(), e.code().message());
        return 1;
      }
    }
    // Timers fire when due: the default 50 us timer slack would let the kernel delay the
    // master-down timer and advert sends to coalesce wake-ups.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    if (options_.pid_file && !write_pid_file())
      return 1;

    signals_.add(SIGHUP);
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGUSR1);
    spawn(signal_loop(), "signal handler");
    try {
      interfaces_ = std::make_unique<core::io::Interfaces>(ctx_);
    } catch (const std::exception& e) {
      logs_.daemon->critical("cannot open rtnetlink: {}", e.what());
      return 1;
    }
    runner_ = std::make_unique<ProcessRunner>(ctx_, *logs_.daemon);
    // One notifier for the whole daemon: the FIFOs keep VRRP and checker lines in one order.
    notifier_ = std::make_unique<Notifier>(
        ctx_, *logs_.daemon, *runner_, [this](const core::config::Command& c) {
          return script_identity(config_->global_defs, c, *logs_.daemon);
        });
    snmp_ = std::make_unique<SnmpAgent>(ctx_, *logs_.daemon, options_.state_dir);
    subsystems_.push_back(make_vrrp_subsystem(ctx_, logs_, *interfaces_, *runner_, *notifier_,
                                              *snmp_, state_path(*config_),
                                              !options_.ip_output_adverts));
    // IPVS last: it stops after the checkers (omega's changes reach it) and removes its table.
    auto ipvs = make_ipvs_subsystem(ctx_, logs_);
    auto& sink = *ipvs;
    notifier_->on_instance([&sink](const std::string& instance, const std::string& state) {
      sink.instance_state(instance, state);
    });
    subsystems_.push_back(
        make_check_subsystem(ctx_, logs_, *interfaces_, *runner_, *notifier_, *snmp_, sink));
    subsystems_.push_back(std::move(ipvs));
    spawn(startup(), "startup");
    ctx_.run();
    if (options_.pid_file)
      ::unlink(options_.pid_file->c_str());
    logs_.daemon->info("vigild stopped (exit code {})", exit_code_);
    return exit_code_;
  }

private:
  Loaded load(UnactedPolicy policy) {
    grammar::LoadOptions lo;
    lo.config_id = options_.config_id.value_or(short_hostname());
    lo.hostname = hostname();
    lo.all_config = options_.all_config;
    return load_config(options_.config_file, lo, policy);
  }

  /// The VRRP state file. keepalived's `instance NAME` (several daemons on one host) and
  /// `data_use_instance` put a name in it, so each daemon keeps its own state.
  std::string state_path(const core::config::Config& c) const {
    std::string file = "vigild.state";
    if (c.instance || c.global_defs.data_use_instance)
      file =
          "vigild_" + c.instance.value_or(options_.config_id.value_or(short_hostname())) + ".state";
    return options_.state_dir + '/' + file;
  }

  bool write_pid_file() {
    std::ofstream out(*options_.pid_file, std::ios::trunc);
    out << ::getpid() << '\n';
    if (!out) {
      logs_.daemon->error("cannot write pid file {}", *options_.pid_file);
      return false;
    }
    return true;
  }

  /// Spawns a long-lived coroutine; an exception escaping it is a fatal runtime error (exit 1).
  void spawn(asio::awaitable<void> op, std::string what) {
    asio::co_spawn(ctx_, std::move(op), [this, what = std::move(what)](std::exception_ptr e) {
      if (!e)
        return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        logs_.daemon->critical("fatal error in {}: {}", what, ex.what());
      }
      exit_code_ = 1;
      ctx_.stop();
    });
  }

  /// Reads the kernel's interfaces, then starts every subsystem.
  asio::awaitable<void> startup() {
    co_await interfaces_->load();
    notifier_->configure(*config_);
    snmp_->configure(config_->global_defs);
    for (auto& s : subsystems_) {
      const auto began = std::chrono::steady_clock::now();
      s->start(config_);
      logs_.daemon->debug("{} started in {} ms", s->name(),
                          std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - began)
                              .count());
    }
    started_ = std::chrono::steady_clock::now();
    running_ = true;
    logs_.daemon->info("vigild ready: version {}, config {}, router_id {}, {} vrrp instance(s), {} "
                       "virtual server(s)",
                       VIGIL_VERSION, options_.config_file, config_->global_defs.router_id,
                       config_->vrrp_instances.size(), config_->virtual_servers.size());
    notify_.ready(summary());
  }

  /// One line for STATUS= and the logs.
  std::string summary() const {
    return std::to_string(config_->vrrp_instances.size()) + " VRRP instance(s), " +
           std::to_string(config_->virtual_servers.size()) + " virtual server(s), " +
           std::to_string(reloads_ok_) + " reload(s)" +
           (last_reload_error_.empty() ? std::string() : "; last reload failed");
  }

  /// The running configuration's hash (computed here if the worker has not delivered it yet).
  const std::string& config_hash() {
    if (config_hash_.empty() && startup_text_)
      config_hash_ = statement_hash(*startup_text_);
    return config_hash_;
  }

  std::pair<bool, std::string> health() const {
    if (stopping_)
      return {false, "stopping"};
    if (!running_)
      return {false, "starting"};
    if (!last_reload_error_.empty())
      return {true, "ok; the last reload failed (" + last_reload_error_ +
                        "), the previous configuration runs"};
    return {true, "ok"};
  }

  /// GET /metrics: vigild's own families, then each subsystem's parts, one part per turn of
  /// the event loop.
  asio::awaitable<std::string> metrics_page() {
    using T = core::Metrics::Type;
    core::Metrics m;
    m.reserve(last_metrics_bytes_ + last_metrics_bytes_ / 8);
    m.family("keepalived_up", T::gauge, "Status").sample(1.0);
    m.family("vigil_build_info", T::gauge, "vigild's version")
        .sample({{"version", VIGIL_VERSION}}, 1.0);
    m.family("vigil_config_info", T::gauge,
             "The running configuration: its file and the SHA-256 of its statements")
        .sample({{"file", options_.config_file}, {"sha256", config_hash()}}, 1.0);
    m.family("vigil_reloads_total", T::counter, "SIGHUP reloads, by result")
        .sample({{"result", "ok"}}, std::uint64_t(reloads_ok_))
        .sample({{"result", "failed"}}, std::uint64_t(reloads_failed_));
    m.family("vigil_last_reload_failed", T::gauge,
             "1 when the last reload was refused (the previous configuration runs)")
        .sample(last_reload_error_.empty() ? 0.0 : 1.0);
    m.family("vigil_uptime_seconds", T::gauge, "Time since vigild became ready")
        .sample(
            running_
                ? std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()
                : 0.0);
    std::vector<Subsystem::MetricPart> parts;
    for (const auto& s : subsystems_)
      s->metrics(parts);
    for (const auto& part : parts) {
      co_await asio::post(ctx_, asio::use_awaitable);
      part(m);
    }
    if (m.rejected())
      logs_.daemon->error("metrics: {} sample(s) of a repeated family dropped (a vigild bug)",
                          m.rejected());
    last_metrics_bytes_ = m.text().size();
    co_return m.take();
  }

  /// GET /status: the health, then the state (what SIGUSR1 logs), one part per turn of the
  /// event loop (the checkers' part in slices of virtual servers).
  asio::awaitable<std::string> status_page() {
    core::Json j;
    j.reserve(last_status_bytes_ + last_status_bytes_ / 8);
    j.begin_object();
    auto [healthy, why] = health();
    j.key("healthy").value(healthy);
    j.key("health").value(why);
    j.key("config_sha256").value(config_hash());
    j.key("last_reload_error");
    last_reload_error_.empty() ? j.null() : j.value(last_reload_error_);
    j.key("state");
    co_await write_state(j);
    j.end_object();
    last_status_bytes_ = j.str().size();
    co_return j.take();
  }

  /// The state document into `j`, one part per turn of the event loop (the checkers' part in
  /// slices of virtual servers): 40,000 real servers make 11 MB, which written in one go would
  /// hold the VRRP timers for a tenth of a second.
  asio::awaitable<void> write_state(core::Json& j) {
    for (const auto& part : state_parts()) {
      co_await asio::post(ctx_, asio::use_awaitable);
      part(j);
    }
  }

  /// SIGUSR1: the state (GET /status's "state"), rendered like the status page, logged as one
  /// line.
  asio::awaitable<void> dump_state() {
    core::Json j;
    co_await write_state(j);
    logs_.daemon->info("state {}", j.str());
  }

  asio::awaitable<void> signal_loop() {
    for (;;) {
      auto [ec, sig] = co_await signals_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec)
        co_return;
      switch (sig) {
      case SIGHUP:
        reload();
        break;
      case SIGUSR1:
        spawn(dump_state(), "state dump");
        break;
      case SIGTERM:
      case SIGINT:
        logs_.daemon->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        stopping_ = true;
        notify_.stopping();
        co_await stop_all();
        snmp_->stop(); // after the subsystems' last traps
        if (status_)
          status_->stop();
        signals_.cancel();
        ctx_.stop();
        co_return;
      default:
        break;
      }
    }
  }

  /// SIGHUP: the file is read, parsed and validated on the worker thread, so adverts keep their
  /// cadence however large it is; only the swap runs on the loop. A SIGHUP that arrives while
  /// a reload is in flight is coalesced into one more reload right after it.
  void reload() {
    if (stopping_)
      return;
    if (reload_in_flight_) {
      if (!reload_again_)
        logs_.config->info("SIGHUP during a reload: the configuration is read again after it");
      reload_again_ = true;
      return;
    }
    reload_in_flight_ = true;
    logs_.config->info("reloading configuration from {}", options_.config_file);
    notify_.reloading();
    auto began = std::chrono::steady_clock::now();
    // The running configuration is immutable and stays running until this reload is applied
    // (reloads do not overlap), so the worker may compare it with the new one.
    worker_.post([this, began, running = config_] {
      // Worker thread: the loader and the comparison, which touch nothing the loop owns.
      auto loaded = std::make_shared<Loaded>(load(UnactedPolicy::error));
      std::string hash = loaded->config && loaded->text ? statement_hash(*loaded->text) : "";
      auto diff = std::make_shared<core::config::ConfigDiff>();
      if (loaded->config)
        *diff = core::config::diff(*running, *loaded->config);
      auto parsed = std::chrono::steady_clock::now();
      asio::post(ctx_, [this, loaded, diff, hash = std::move(hash), began, parsed] {
        apply_reload(*loaded, *diff, hash, began, parsed);
      });
    });
  }

  void apply_reload(const Loaded& loaded, const core::config::ConfigDiff& diff,
                    const std::string& hash, std::chrono::steady_clock::time_point began,
                    std::chrono::steady_clock::time_point parsed) {
    reload_in_flight_ = false;
    if (stopping_)
      return;
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    log_diagnostics(*logs_.config, loaded.diagnostics);
    if (loaded.config && state_path(*loaded.config) != state_path(*config_)) {
      // keepalived refuses this too: the name identifies the running daemon and its files.
      ++reloads_failed_;
      last_reload_error_ = "'instance' or 'data_use_instance' changed; they take effect at a "
                           "restart";
      logs_.config->error("reload refused: {} (keeping the running configuration)",
                          last_reload_error_);
      notify_.ready(summary());
    } else if (!loaded.config) {
      ++reloads_failed_;
      last_reload_error_ = std::to_string(loaded.diagnostics.error_count()) + " error(s)";
      for (const auto& d : loaded.diagnostics.items())
        if (d.severity == core::Severity::error) {
          last_reload_error_ += ", first: " + d.pos.file + ':' + std::to_string(d.pos.line) + ':' +
                                std::to_string(d.pos.col) + ": " + d.message;
          break;
        }
      logs_.config->error("reload failed ({} error(s)); keeping the running configuration",
                          loaded.diagnostics.error_count());
      notify_.ready(summary());
    } else {
      last_reload_error_.clear();
      auto retired = std::exchange(config_, loaded.config);
      config_hash_ = hash;
      startup_text_.reset();
      auto swap = std::chrono::steady_clock::now();
      notifier_->configure(*config_);
      snmp_->configure(config_->global_defs);
      std::string parts;
      for (auto& s : subsystems_) {
        auto t = std::chrono::steady_clock::now();
        s->reload(config_, diff);
        parts += fmt::format("{}{} {:.1f}", parts.empty() ? "" : ", ", s->name(),
                             ms(std::chrono::steady_clock::now() - t));
      }
      ++reloads_ok_;
      // Freeing a large configuration takes tens of milliseconds: the worker does it, once the
      // subsystems have let go of it (the loop only hands over the last reference).
      // The parse and the free leave the worker's malloc arena with hundreds of MB of free
      // pages (a 37,000-real-server file): give them back to the system from there too.
      worker_.post([retired = std::move(retired)]() mutable {
        retired.reset();
        ::malloc_trim(0);
      });
      auto done = std::chrono::steady_clock::now();
      logs_.config->info("configuration reloaded: {} vrrp instance(s), {} virtual server(s) (read "
                         "and checked in {:.1f} ms off the loop, applied in {:.1f} ms: {})",
                         config_->vrrp_instances.size(), config_->virtual_servers.size(),
                         ms(parsed - began), ms(done - swap), parts);
      notify_.ready(summary());
    }
    if (reload_again_) {
      reload_again_ = false;
      reload();
    }
  }

  asio::awaitable<void> stop_all() {
    for (auto& s : subsystems_) {
      asio::steady_timer timer(ctx_, stop_timeout);
      auto result = co_await (s->stop() || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (result.index() == 1)
        logs_.daemon->warn("{} did not stop within {} s", s->name(), stop_timeout.count());
    }
    // Scripts and mail the stop itself caused (notify_stop, omega's notify_down) still go out.
    asio::steady_timer timer(ctx_, stop_timeout);
    auto result =
        co_await (notifier_->stop() || timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (result.index() == 1)
      logs_.daemon->warn("notifications did not finish within {} s", stop_timeout.count());
  }

  /// The state document as parts written in sequence into one writer.
  std::vector<Subsystem::JsonPart> state_parts() const {
    std::vector<Subsystem::JsonPart> parts;
    parts.push_back([this](core::Json& j) { state_head(j); });
    for (const auto& s : subsystems_) {
      parts.push_back([name = std::string(s->name())](core::Json& j) { j.key(name); });
      s->state_parts(parts);
    }
    parts.push_back([this](core::Json& j) {
      j.key("notify");
      notifier_->state_json(j);
      j.key("snmp");
      snmp_->state_json(j);
      j.end_object();
    });
    return parts;
  }

  void state_head(core::Json& j) const {
    j.begin_object();
    j.key("vigild").begin_object();
    j.key("version").value(VIGIL_VERSION);
    j.key("pid").value(static_cast<long long>(::getpid()));
    j.key("config_file").value(options_.config_file);
    j.key("router_id").value(config_->global_defs.router_id);
    j.key("uptime_s")
        .value(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    j.key("reloads_ok").value(static_cast<long long>(reloads_ok_));
    j.key("reloads_failed").value(static_cast<long long>(reloads_failed_));
    j.key("vrrp_instances").value(static_cast<long long>(config_->vrrp_instances.size()));
    j.key("virtual_servers").value(static_cast<long long>(config_->virtual_servers.size()));
    j.end_object();
  }

  const Options& options_;
  const Logs& logs_;
  asio::io_context ctx_{1};
  asio::signal_set signals_{ctx_};
  core::config::ConfigPtr config_;
  std::unique_ptr<core::io::Interfaces> interfaces_;
  std::unique_ptr<ProcessRunner> runner_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<SnmpAgent> snmp_;
  std::vector<std::unique_ptr<Subsystem>> subsystems_;
  std::chrono::steady_clock::time_point started_{};
  SdNotify notify_{*logs_.daemon};
  std::unique_ptr<StatusServer> status_;
  std::string config_hash_;
  std::shared_ptr<const std::string> startup_text_; ///< until the worker has hashed it
  std::size_t last_metrics_bytes_ = 0;
  std::size_t last_status_bytes_ = 0;
  std::string last_reload_error_;
  bool running_ = false;
  bool stopping_ = false;
  std::size_t reloads_ok_ = 0;
  std::size_t reloads_failed_ = 0;
  int exit_code_ = 0;
  bool reload_in_flight_ = false;
  bool reload_again_ = false;
  Worker worker_; ///< last: joined before anything a job's completion touches is destroyed
};

} // namespace

int run_daemon(const Options& options, const Logs& logs) {
  App app(options, logs);
  return app.run();
}

} // namespace vigil::daemon
