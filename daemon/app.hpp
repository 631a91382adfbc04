#pragma once
// The composition root: owns the io_context, the signals, the configuration snapshot and the
// subsystems. Asio stays inside app.cpp.
#include "daemon/cli.hpp"
#include "daemon/logging.hpp"

namespace vigil::daemon {

/// Runs vigild in the foreground until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const Options& options, const Logs& logs);

} // namespace vigil::daemon
