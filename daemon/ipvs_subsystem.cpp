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

class Ipvs final : public IpvsSubsystem {
public:
  Ipvs(asio::io_context& ctx, const Logs& logs) : ctx_(ctx), log_(*logs.ipvs), wake_(ctx) {}

  std::string_view name() const override { return "ipvs"; }

  void start(const core::config::ConfigPtr& config) override {
    config_ = config;
    if (config->virtual_servers.empty())
      return; // no IPVS for a VRRP-only configuration
    begin();
  }

  void reload(const core::config::ConfigPtr& next) override {
    config_ = next;
    if (!started_ && !next->virtual_servers.empty())
      begin();
  }

  asio::awaitable<void> stop() override {
    stopping_ = true;
    wake_.cancel();
    if (!kernel_ || !ready_)
      co_return;
    // Wait for a reconcile in progress, then remove what is ours (the kernel removes the
    // destinations with their service). Foreign services stay.
    asio::steady_timer t(ctx_);
    while (busy_) {
      t.expires_after(5ms);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto dumped = co_await kernel_->dump();
    if (const auto* err = std::get_if<core::io::NetlinkError>(&dumped)) {
      log_.error("IPVS: cannot read the table at stop: {}", err->message);
      co_return;
    }
    std::vector<ipvs::Op> ops;
    for (const auto& [key, entry] : std::get<ipvs::Table>(dumped))
      if (owned_.count(key)) {
        for (const auto& [dk, d] : entry.destinations)
          ops.push_back({ipvs::OpKind::delete_destination, entry.service, d});
        ops.push_back({ipvs::OpKind::delete_service, entry.service, std::nullopt});
      }
    report(co_await kernel_->apply(ops));
    log_.info("IPVS: removed {} service(s) at stop", owned_.size());
    owned_.clear();
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
    auto err = co_await kernel_->open();
    if (err) {
      unavailable_ = err->message;
      log_.warn("IPVS is not available in this kernel ({}): real servers are health-checked and "
                "notified, no virtual server is programmed",
                err->message);
      co_return;
    }
    ready_ = true;
    log_.info("Initializing ipvs (generic netlink family {})", kernel_->family_id());
    while (!stopping_) {
      if (!dirty_) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      dirty_ = false;
      busy_ = true;
      bool ok = co_await reconcile();
      busy_ = false;
      if (!ok && !stopping_) {
        wake_.expires_after(retry_after);
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
        dirty_ = true;
      }
    }
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
    for (const auto& op : ops)
      log_.debug("IPVS: {}", ipvs::io::describe(op));
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
