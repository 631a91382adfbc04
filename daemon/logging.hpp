#pragma once
// Logging: one stderr sink, one line per event, with the level and a logger name per subsystem.
// Loggers are created here and handed to the io parts that log; nothing looks them up globally.
#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace vigil::daemon {

struct Logs {
  std::shared_ptr<spdlog::logger> daemon;
  std::shared_ptr<spdlog::logger> config;
  std::shared_ptr<spdlog::logger> vrrp;
  std::shared_ptr<spdlog::logger> check;
  std::shared_ptr<spdlog::logger> ipvs;

  /// `level` is trace, debug, info, warn or error.
  static Logs make(const std::string& level);
};

} // namespace vigil::daemon
