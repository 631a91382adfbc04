#pragma once
// Logging: one stderr sink, one line per event, with the level and a logger name per subsystem.
// Loggers are created here and handed to the io parts that log; nothing looks them up globally.
#include <memory>
#include <string>
#include <string_view>

#include "core/json.hpp"

#include <spdlog/logger.h>

namespace vigil::daemon {

struct Logs {
  std::shared_ptr<spdlog::logger> daemon;
  std::shared_ptr<spdlog::logger> config;
  std::shared_ptr<spdlog::logger> vrrp;
  std::shared_ptr<spdlog::logger> check;
  std::shared_ptr<spdlog::logger> ipvs;

  /// `level` is trace, debug, info, warn or error; `json`: one JSON object per line.
  static Logs make(const std::string& level, bool json = false);
};

/// The structured fields of a log message for the JSON format ("(VI_1) Entering MASTER STATE
/// (reason)": instance, state, reason), added to the object being written.
void log_fields(core::Json& j, std::string_view text);

} // namespace vigil::daemon
