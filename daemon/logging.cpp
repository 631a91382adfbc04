#include "daemon/logging.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/json.hpp"

namespace vigil::daemon {

namespace {

/// One JSON object per line: time (UTC, microseconds), level, logger, message, and the fields
/// vigild's messages carry by convention: "(VI_1) ..." names an instance, "Entering MASTER
/// STATE (reason)" a state and its reason.
class JsonFormatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    core::Json j;
    j.begin_object();
    j.key("time").value(timestamp(msg.time));
    j.key("level").value(std::string_view(spdlog::level::to_string_view(msg.level).data(),
                                          spdlog::level::to_string_view(msg.level).size()));
    j.key("logger").value(std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    j.key("message").value(text);
    log_fields(j, text);
    j.end_object();
    const auto& s = j.str();
    dest.append(s.data(), s.data() + s.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

private:
  static std::string timestamp(spdlog::log_clock::time_point tp) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(us / 1000000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<unsigned>(us % 1000000));
    return buf;
  }
};

} // namespace

void log_fields(core::Json& j, std::string_view text) {
  std::string_view rest = text;
  if (rest.size() > 2 && rest.front() == '(') {
    auto close = rest.find(") ");
    if (close != std::string_view::npos && close > 1) {
      j.key("instance").value(rest.substr(1, close - 1));
      rest = rest.substr(close + 2);
    }
  }
  constexpr std::string_view entering = "Entering ";
  if (rest.substr(0, entering.size()) == entering) {
    auto after = rest.substr(entering.size());
    auto sp = after.find(" STATE");
    if (sp != std::string_view::npos) {
      j.key("state").value(after.substr(0, sp));
      auto open = after.find(" (", sp);
      if (open != std::string_view::npos && after.back() == ')')
        j.key("reason").value(after.substr(open + 2, after.size() - open - 3));
    }
  }
}

Logs Logs::make(const std::string& level, bool json) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
  if (json)
    sink->set_formatter(std::make_unique<JsonFormatter>());
  else
    // Milliseconds matter for failover timelines; the level and logger name are grep targets.
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %n: %v");
  auto lvl = spdlog::level::from_str(level);
  auto make = [&](const char* name) {
    auto l = std::make_shared<spdlog::logger>(name, sink);
    l->set_level(lvl);
    l->flush_on(spdlog::level::trace);
    return l;
  };
  return Logs{make("daemon"), make("config"), make("vrrp"), make("check"), make("ipvs")};
}

} // namespace vigil::daemon
