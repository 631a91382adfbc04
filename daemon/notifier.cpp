#include "daemon/notifier.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include "daemon/notify_fifo.hpp"
#include "core/io/process.hpp"
#include "core/io/smtp.hpp"

namespace vigil::daemon {

using namespace core::io; // the process runner and the SMTP client

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// keepalived gives notify scripts no time limit; vigil kills one that hangs this long, so a
/// stuck script cannot hold back the notifications queued behind it.
constexpr auto notify_timeout = 60s;

struct Notifier::Queue {
  struct Job {
    std::vector<std::string> argv;
    std::optional<RunAs> as;
  };
  std::deque<Job> jobs;
  bool running = false;
};

namespace {

const std::optional<core::config::Command>* script_for(const core::config::NotifyScripts& n,
                                                       const std::string& state) {
  if (state == "MASTER")
    return &n.notify_master;
  if (state == "BACKUP")
    return &n.notify_backup;
  if (state == "FAULT")
    return &n.notify_fault;
  if (state == "STOP")
    return &n.notify_stop;
  if (state == "DELETED")
    return &n.notify_deleted;
  return nullptr;
}

} // namespace

Notifier::Notifier(asio::io_context& ctx, spdlog::logger& log, ProcessRunner& runner,
                   std::function<std::optional<RunAs>(const core::config::Command&)> run_as)
    : ctx_(ctx), log_(log), runner_(runner), run_as_(std::move(run_as)) {}

Notifier::~Notifier() = default;

struct Notifier::FifoReader {
  asio::cancellation_signal cancel;
  bool stopping = false;
};

void Notifier::configure(const core::config::Config& config) {
  globals_ = config.global_defs;
  // FIFOs: notify_fifo gets every line, vrrp_notify_fifo the VRRP ones, lvs_notify_fifo the
  // checker ones. One FIFO named by two keywords is opened once and gets both.
  std::vector<core::config::NotifyFifo> wanted;
  std::vector<std::pair<bool, bool>> channels;
  auto want = [&](const std::optional<core::config::NotifyFifo>& f, bool vrrp, bool lvs) {
    if (!f)
      return;
    for (std::size_t i = 0; i < wanted.size(); ++i)
      if (wanted[i].path == f->path) {
        channels[i].first = channels[i].first || vrrp;
        channels[i].second = channels[i].second || lvs;
        return;
      }
    wanted.push_back(*f);
    channels.emplace_back(vrrp, lvs);
  };
  want(globals_.notify_fifo, true, true);
  want(globals_.vrrp_notify_fifo, true, false);
  want(globals_.lvs_notify_fifo, false, true);
  if (wanted != fifo_configs_) {
    // The FIFOs changed: their reader scripts are restarted with them (an unchanged set keeps
    // its readers running, so a reload never has two readers on one FIFO).
    for (auto& f : fifos_)
      if (f.reader) {
        f.reader->stopping = true;
        f.reader->cancel.emit(asio::cancellation_type::terminal);
      }
    fifos_.clear();
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto& f = wanted[i];
      Fifo entry;
      entry.vrrp = channels[i].first;
      entry.lvs = channels[i].second;
      try {
        entry.fifo = std::make_unique<NotifyFifo>(ctx_, log_, f);
      } catch (const std::exception& e) {
        log_.error("notify FIFO {}: {}", f.path, e.what());
        continue;
      }
      fifos_.push_back(std::move(entry));
      if (f.script) {
        std::vector<std::string> argv = f.script->argv;
        argv.push_back(f.path);
        auto as = run_as_(*f.script);
        std::string text = f.script->text;
        auto reader = std::make_shared<FifoReader>();
        fifos_.back().reader = reader;
        asio::co_spawn(
            ctx_, runner_.run(argv, as, std::chrono::nanoseconds(0)),
            asio::bind_cancellation_slot(
                reader->cancel.slot(), [this, text, reader](std::exception_ptr, ProcessResult r) {
                  if (reader->stopping)
                    log_.info("notify FIFO reader `{}` stopped: its FIFO "
                              "configuration changed",
                              text);
                  else
                    log_.warn("notify FIFO reader `{}` ended: {}", text, describe(r));
                }));
      }
    }
    fifo_configs_ = wanted;
  } else {
    for (auto& f : fifos_)
      for (std::size_t i = 0; i < wanted.size(); ++i)
        if (wanted[i].path == f.fifo->path())
          std::tie(f.vrrp, f.lvs) = channels[i];
  }
  // Mail, when anything asks for it.
  bool wants_mail = false;
  for (const auto& i : config.vrrp_instances)
    wants_mail = wants_mail || i.notify.smtp_alert;
  for (const auto& g : config.sync_groups)
    wants_mail = wants_mail || g.notify.smtp_alert;
  for (const auto& vs : config.virtual_servers) {
    wants_mail = wants_mail || vs.smtp_alert;
    for (const auto& rs : vs.real_servers)
      wants_mail = wants_mail || rs.smtp_alert;
  }
  if (wants_mail) {
    std::string why;
    auto settings = alerter_settings(globals_, why);
    if (!settings) {
      log_.error("smtp_alert is set but mail cannot be sent: {}", why);
      alerter_.reset();
    } else if (alerter_) {
      alerter_->reconfigure(*settings);
    } else {
      alerter_ = std::make_unique<Alerter>(ctx_, log_, *settings);
    }
  }
}

void Notifier::fifo_line(Channel channel, const std::string& line) {
  for (auto& f : fifos_)
    if (channel == Channel::vrrp ? f.vrrp : f.lvs)
      f.fifo->write(line);
}

void Notifier::run_scripts(const std::string& key,
                           std::vector<const core::config::Command*> scripts,
                           std::vector<std::string> extra) {
  auto& q = queues_[key];
  if (!q)
    q = std::make_shared<Queue>();
  for (std::size_t k = 0; k < scripts.size(); ++k) {
    const auto* c = scripts[k];
    Queue::Job job{c->argv, run_as_(*c)};
    if (k + 1 == scripts.size() && !extra.empty())
      job.argv.insert(job.argv.end(), extra.begin(), extra.end());
    q->jobs.push_back(std::move(job));
  }
  if (q->running || q->jobs.empty())
    return;
  q->running = true;
  asio::co_spawn(
      ctx_,
      [this, q]() -> asio::awaitable<void> {
        while (!q->jobs.empty()) {
          auto job = std::move(q->jobs.front());
          q->jobs.pop_front();
          auto r = co_await runner_.run(job.argv, job.as, notify_timeout);
          ++scripts_run_;
          if (!r.success()) {
            ++scripts_failed_;
            std::string cmd;
            for (const auto& a : job.argv)
              cmd += (cmd.empty() ? "" : " ") + a;
            log_.warn("notify script `{}` {}", cmd, describe(r));
          }
        }
        q->running = false;
      },
      asio::detached);
}

void Notifier::mail(const std::string& kind, const std::string& name, const std::string& state,
                    unsigned priority) {
  if (!alerter_)
    return;
  if (state == "FAULT" && globals_.no_email_faults)
    return;
  alerter_->send(vrrp_transition_mail(globals_, kind, name, state, int(priority),
                                      core::rfc5322_date(std::chrono::system_clock::now())));
}

void Notifier::transition(const std::string& kind, const std::string& name,
                          const core::config::NotifyScripts& notify, const std::string& state,
                          unsigned priority) {
  fifo_line(Channel::vrrp, kind + " \"" + name + "\" " + state + " " + std::to_string(priority));
  std::vector<const core::config::Command*> scripts;
  if (const auto* s = script_for(notify, state); s && *s && !(*s)->argv.empty())
    scripts.push_back(&**s);
  std::vector<std::string> extra;
  if (notify.notify) {
    scripts.push_back(&*notify.notify);
    extra = {kind, name, state, std::to_string(priority)};
  }
  if (!scripts.empty())
    run_scripts(kind + " " + name, std::move(scripts), std::move(extra));
  if (notify.smtp_alert && state != "STOP" && state != "DELETED")
    mail(kind, name, state, priority);
}

void Notifier::instance(const core::config::VrrpInstance& vi, const std::string& state,
                        unsigned priority) {
  transition("INSTANCE", vi.name, vi.notify, state, priority);
  for (const auto& l : instance_listeners_)
    l(vi.name, state);
}

void Notifier::group(const core::config::SyncGroup& g, const std::string& state,
                     unsigned priority) {
  transition("GROUP", g.name, g.notify, state, priority);
}

void Notifier::priority(const core::config::VrrpInstance& vi, bool master, unsigned priority) {
  if (!vi.notify.notify_priority_changes && !globals_.vrrp_notify_priority_changes)
    return;
  fifo_line(Channel::vrrp, "INSTANCE \"" + vi.name + "\" " +
                               (master ? "MASTER_PRIORITY" : "BACKUP_PRIORITY") + " " +
                               std::to_string(priority));
}

void Notifier::real_server(const core::config::VirtualServer& vs,
                           const core::config::RealServer& rs, bool up) {
  const auto& script = up ? rs.notify_up : rs.notify_down;
  const bool run = script && !script->argv.empty();
  const bool mail = (rs.smtp_alert || vs.smtp_alert || globals_.smtp_alert_checker) && alerter_;
  const bool fifo = std::any_of(fifos_.begin(), fifos_.end(), [](const auto& f) { return f.lvs; });
  if (!run && !mail && !fifo)
    return; // nobody listens: no names to build (37,000 real servers come up at start)
  const std::string state = up ? "UP" : "DOWN";
  const std::string rs_name = core::config::describe_rs(vs, rs);
  const std::string vs_name = core::config::describe_vs(vs);
  if (fifo)
    fifo_line(Channel::lvs, "RS " + rs_name + " " + vs_name + " " + state);
  if (run)
    run_scripts("RS " + rs_name + " " + vs_name, {&*script}, {});
  if (mail) {
    core::Mail m;
    m.from = globals_.notification_email_from;
    m.to = globals_.notification_email;
    m.subject = "[" + globals_.router_id + "] Realserver " + rs_name + " of virtual server " +
                vs_name + " - " + state;
    m.body = "=> Real server " + rs_name + " of virtual server " + vs_name + " is " + state +
             " <=\n\nrouter_id: " + globals_.router_id +
             "\ndate: " + core::rfc5322_date(std::chrono::system_clock::now()) + "\n";
    alerter_->send(std::move(m));
  }
}

void Notifier::quorum(const core::config::VirtualServer& vs, bool up) {
  const auto& script = up ? vs.quorum_up : vs.quorum_down;
  const bool run = script && !script->argv.empty();
  const bool mail = (vs.smtp_alert || globals_.smtp_alert_checker) && alerter_;
  const bool fifo = std::any_of(fifos_.begin(), fifos_.end(), [](const auto& f) { return f.lvs; });
  if (!run && !mail && !fifo)
    return; // nobody listens (thousands of virtual servers gain their quorum at start)
  const std::string state = up ? "UP" : "DOWN";
  const std::string vs_name = core::config::describe_vs(vs);
  if (fifo)
    fifo_line(Channel::lvs, "VS " + vs_name + " " + state);
  if (run)
    run_scripts("VS " + vs_name, {&*script}, {});
  if (mail) {
    core::Mail m;
    m.from = globals_.notification_email_from;
    m.to = globals_.notification_email;
    m.subject = "[" + globals_.router_id + "] Virtualserver " + vs_name + " - " +
                (up ? "quorum gained" : "quorum lost");
    m.body = "=> Virtual server " + vs_name + (up ? " gained" : " lost") +
             " its quorum <=\n\nrouter_id: " + globals_.router_id +
             "\ndate: " + core::rfc5322_date(std::chrono::system_clock::now()) + "\n";
    alerter_->send(std::move(m));
  }
}

asio::awaitable<void> Notifier::stop() {
  asio::steady_timer t(ctx_);
  auto busy = [this] {
    return std::any_of(queues_.begin(), queues_.end(),
                       [](const auto& q) { return q.second->running; });
  };
  while (busy()) {
    t.expires_after(10ms);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (alerter_)
    co_await alerter_->stop();
}

void Notifier::state_json(core::Json& j) const {
  j.begin_object();
  j.key("scripts_run").value(static_cast<unsigned long long>(scripts_run_));
  j.key("scripts_failed").value(static_cast<unsigned long long>(scripts_failed_));
  j.key("fifos").begin_array();
  for (const auto& f : fifos_) {
    j.begin_object();
    j.key("path").value(f.fifo->path());
    j.key("queued").value(static_cast<unsigned long long>(f.fifo->queued()));
    j.key("dropped").value(static_cast<unsigned long long>(f.fifo->dropped()));
    j.end_object();
  }
  j.end_array();
  j.key("mail");
  if (alerter_) {
    j.begin_object();
    j.key("sent").value(static_cast<unsigned long long>(alerter_->sent()));
    j.key("failed").value(static_cast<unsigned long long>(alerter_->failed()));
    j.key("dropped").value(static_cast<unsigned long long>(alerter_->dropped()));
    j.end_object();
  } else {
    j.null();
  }
  j.end_object();
}

} // namespace vigil::daemon
