#include "daemon/trackers.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include "core/io/file_watch.hpp"
#include "core/io/interfaces.hpp"
#include "core/io/process.hpp"

namespace vigil::daemon {

using namespace core::io; // the process runner and the SMTP client

namespace asio = boost::asio;
using core::Clock;

struct Trackers::Script {
  Script(asio::io_context& ctx, core::config::VrrpScript c, std::optional<RunAs> who)
      : config(std::move(c)), as(std::move(who)), state(config.rise, config.fall, config.init_fail),
        timer(ctx) {}
  core::config::VrrpScript config;
  std::optional<RunAs> as;
  vrrp::ScriptState state;
  asio::steady_timer timer;
  bool stopped = false;
  bool running = false; ///< a run is in progress
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::string last;
};

Trackers::Trackers(asio::io_context& ctx, spdlog::logger& log, core::io::Interfaces& interfaces,
                   core::io::FileWatch& files, ProcessRunner& runner,
                   std::function<std::optional<RunAs>(const core::config::Command&)> run_as)
    : ctx_(ctx), log_(log), ifs_(interfaces), files_(files), runner_(runner),
      run_as_(std::move(run_as)) {}

Trackers::~Trackers() {
  stop();
}

void Trackers::stop() {
  stopped_ = true;
  for (auto& [name, s] : scripts_) {
    s->stopped = true;
    s->timer.cancel();
  }
  scripts_.clear();
}

long track_file_value(const std::optional<std::string>& content) {
  if (!content)
    return 0;
  const std::string& t = *content;
  std::size_t b = t.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return 0;
  long v = 0;
  const char* first = t.data() + b;
  if (*first == '+')
    ++first;
  auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), v);
  return ec == std::errc() ? v : 0;
}

void init_track_file(const core::config::TrackFile& c, spdlog::logger& log) {
  if (!c.init_file_value)
    return;
  bool exists = ::access(c.file.c_str(), F_OK) == 0;
  if (exists && !c.init_file_overwrite)
    return;
  std::string text = std::to_string(*c.init_file_value) + "\n";
  int fd = ::open(c.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != ssize_t(text.size()))
    log.error("track_file {}: cannot initialise {}: {}", c.name, c.file, std::strerror(errno));
  if (fd >= 0)
    ::close(fd);
}

void Trackers::configure(const core::config::Config& config) {
  std::set<std::string> script_names;
  std::set<std::string> file_names;
  auto collect = [&](const core::config::Trackers& t) {
    for (const auto& r : t.track_script)
      script_names.insert(r.name);
    for (const auto& r : t.track_file)
      file_names.insert(r.name);
  };
  for (const auto& i : config.vrrp_instances)
    collect(i.trackers);
  for (const auto& g : config.sync_groups)
    collect(g.trackers);

  // Scripts: unchanged ones keep running with their state; others are (re)started.
  for (auto it = scripts_.begin(); it != scripts_.end();) {
    const auto* c = config.find_script(it->first);
    if (!script_names.count(it->first) || !c || !(*c == it->second->config)) {
      it->second->stopped = true;
      it->second->timer.cancel();
      it = scripts_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& name : script_names) {
    if (scripts_.count(name))
      continue;
    const auto* c = config.find_script(name);
    if (!c)
      continue; // the loader rejects this
    auto s = std::make_shared<Script>(ctx_, *c, run_as_(c->script));
    scripts_[name] = s;
    start_script(s);
  }

  // Files: read now, then followed through inotify.
  std::map<std::string, File> files;
  for (const auto& name : file_names) {
    const auto* c = config.find_track_file(name);
    if (!c)
      continue;
    File f{*c, 0, false};
    init_track_file(*c, log_);
    if (!watched_.count(c->file)) {
      std::string why;
      std::string path = c->file;
      files_.watch(
          path,
          [this, path](const std::optional<std::string>& content) {
            long v = track_file_value(content);
            bool changed = false;
            for (auto& [n, tf] : track_files_)
              if (tf.config.file == path && (tf.value != v || tf.present != content.has_value())) {
                log_.info("track_file {} ({}) now holds {}", n, path,
                          content ? std::to_string(v) : "nothing (removed)");
                tf.value = v;
                tf.present = content.has_value();
                changed = true;
              }
            if (changed && on_change && !stopped_)
              on_change();
          },
          why);
      if (!why.empty())
        log_.error("track_file {}: {}", name, why);
      else
        watched_[c->file] = true;
    }
    auto content = core::io::FileWatch::read(c->file);
    f.value = track_file_value(content);
    f.present = content.has_value();
    files.emplace(name, std::move(f));
  }
  track_files_ = std::move(files);
}

void Trackers::start_script(std::shared_ptr<Script> script) {
  asio::co_spawn(
      ctx_,
      [this, s = std::move(script)]() -> asio::awaitable<void> {
        const auto& c = s->config;
        while (!s->stopped) {
          auto started = Clock::now();
          s->running = true;
          ProcessResult res = co_await runner_.run(c.script.argv, s->as, c.timeout);
          s->running = false;
          if (s->stopped)
            break;
          ++s->runs;
          bool ok = res.success();
          if (!ok)
            ++s->failures;
          s->last = ok ? "succeeded" : describe(res);
          if (s->state.record(ok)) {
            if (ok)
              log_.info("VRRP_Script({}) succeeded", c.name);
            else
              log_.warn("VRRP_Script({}) failed ({})", c.name, s->last);
            if (on_change && !stopped_)
              on_change();
          } else if (!ok) {
            log_.debug("VRRP_Script({}) {}", c.name, s->last);
          }
          s->timer.expires_at(started + c.interval);
          co_await s->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
      },
      asio::detached);
}

void Trackers::apply_refs(vrrp::TrackOutcome& out, const core::config::Trackers& t,
                          bool weights) const {
  for (const auto& r : t.track_interface) {
    const auto* l = ifs_.find(r.name);
    int w = weights ? r.weight.value_or(0) : 0;
    vrrp::apply_status(out, "track_interface " + r.name, l && l->up(), w, r.reverse);
  }
  for (const auto& r : t.track_script) {
    auto it = scripts_.find(r.name);
    if (it == scripts_.end())
      continue;
    const auto& c = it->second->config;
    int w = r.weight ? *r.weight : c.weight;
    bool reverse = r.weight ? r.reverse : (c.weight_reverse || r.reverse);
    vrrp::apply_status(out, "track_script " + r.name, it->second->state.ok(), weights ? w : 0,
                       reverse);
  }
  for (const auto& r : t.track_file) {
    auto it = track_files_.find(r.name);
    if (it == track_files_.end())
      continue;
    const auto& c = it->second.config;
    int w = r.weight ? *r.weight : c.weight;
    bool reverse = r.weight ? r.reverse : (c.weight_reverse || r.reverse);
    vrrp::apply_value(out, "track_file " + r.name, it->second.value, weights ? w : 0, reverse);
  }
}

vrrp::TrackOutcome Trackers::evaluate(const core::config::VrrpInstance& instance,
                                      const core::config::SyncGroup* group) const {
  vrrp::TrackOutcome out;
  apply_refs(out, instance.trackers, group == nullptr);
  if (group)
    apply_refs(out, group->trackers, true);
  return out;
}

void Trackers::metrics(core::Metrics& m) const {
  // mehdy/keepalived-exporter's names and values: status BAD 0 / GOOD 1, state idle 0 /
  // running 1 (vigil kills a script at its timeout, so it is never "requested termination").
  m.family("keepalived_script_status", core::Metrics::Type::gauge, "Tracker Script Status");
  for (const auto& [name, s] : scripts_)
    m.sample({{"name", name}}, s->state.ok() ? 1.0 : 0.0);
  m.family("keepalived_script_state", core::Metrics::Type::gauge, "Tracker Script State");
  for (const auto& [name, s] : scripts_)
    m.sample({{"name", name}}, s->running ? 1.0 : 0.0);
  m.family("vigil_script_runs_total", core::Metrics::Type::counter,
           "vrrp_script runs, and failed ones (exit status, signal or timeout)");
  for (const auto& [name, s] : scripts_) {
    m.sample({{"name", name}, {"result", "any"}}, s->runs);
    m.sample({{"name", name}, {"result", "failed"}}, s->failures);
  }
  m.family("vigil_track_file_value", core::Metrics::Type::gauge,
           "The value read from a track_file");
  for (const auto& [name, f] : track_files_)
    m.sample({{"name", name}, {"file", f.config.file}}, double(f.value));
}

void Trackers::state_json(core::Json& j) const {
  j.begin_object();
  j.key("scripts").begin_array();
  for (const auto& [name, s] : scripts_) {
    j.begin_object();
    j.key("name").value(name);
    j.key("state").value(s->state.ok() ? "ok" : "failed");
    j.key("running").value(s->running);
    j.key("runs").value(static_cast<unsigned long long>(s->runs));
    j.key("failures").value(static_cast<unsigned long long>(s->failures));
    j.key("last").value(s->last);
    j.end_object();
  }
  j.end_array();
  j.key("files").begin_array();
  for (const auto& [name, f] : track_files_) {
    j.begin_object();
    j.key("name").value(name);
    j.key("file").value(f.config.file);
    j.key("value").value(static_cast<long long>(f.value));
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

} // namespace vigil::daemon
