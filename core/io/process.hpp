#pragma once
// Runs external programs (notify scripts, vrrp_script track scripts, MISC_CHECK) from the
// single io_context without ever blocking it: spawned with clone(CLONE_VM | CLONE_VFORK), reaped
// through a pidfd, bounded by a timeout that kills the whole process group.
//
// Process-wide rules this component relies on (documented for the rest of the daemon):
// - Nobody sets SIGCHLD to SIG_IGN or SA_NOCLDWAIT (the kernel would reap our children) and
//   nobody calls wait()/waitpid(-1, ...) or reaps children it did not spawn.
// - Children get SIGCHLD as their exit signal; its default disposition (ignore) is fine, and a
//   SIGCHLD handler elsewhere is harmless as long as it does not reap.
// - Signals handled through Asio's signal_set (HUP, TERM, INT, USR1) keep working: the parent
//   blocks every signal only while a spawn is in progress (the clone and the child's execve,
//   about 0.1 ms; signals that arrive then stay pending and are delivered right after); the
//   child resets every disposition to SIG_DFL and unblocks every signal before execve, so no
//   vigild handler can run in a script, and a script never inherits vigild's signal state.
// - With CLONE_VFORK the loop waits for the child's execve: a program on a hung file system
//   (dead NFS mount) would stall it, as the PATH lookup's stat() would. Keep scripts local.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace vigil::core::io {

namespace detail {
struct ProcessRunnerState;
}

/// A resolved identity to run a program as (see resolve_user()).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;             ///< primary group
  std::vector<gid_t> groups; ///< supplementary groups (setgroups); usually contains `gid`
  std::string user;          ///< the user name, for logs
};

struct ProcessResult {
  enum class Kind {
    exited,    ///< ran and exited by itself: `code` is its exit status (0..255)
    signaled,  ///< ended by a signal: `code` is the signal (SIGKILL also when the run was
               ///< cancelled or the runner destroyed)
    timed_out, ///< still running at the timeout and killed: `code` is the signal that ended it
               ///< (SIGTERM or SIGKILL), or its exit status if it exited on SIGTERM by itself
    failed,    ///< could not be started: `error` says why (with the errno text)
  };
  Kind kind = Kind::failed;
  int code = 0;
  std::string error;
  std::chrono::nanoseconds duration{}; ///< from the spawn to the reap

  bool success() const { return kind == Kind::exited && code == 0; }
};

/// For log lines: "exited with status 3 after 0.012 s", "was killed by SIGKILL after 2.000 s",
/// "timed out and was killed (SIGTERM) after 5.001 s", "could not be started: cannot execute
/// /x.sh: No such file or directory".
std::string describe(const ProcessResult& result);

/// The PATH every program gets (and where a command without a slash is looked up), unless the
/// caller's `env` sets PATH.
inline constexpr const char* default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The program `name` resolves to: `name` itself when it contains a slash (made absolute
/// against the current directory when relative), else the first executable regular file
/// `DIR/name` for DIR in `path_list` (colon separated; empty entries are skipped). nullopt when
/// none. Does a few stat()/access() calls on local paths.
std::optional<std::string> find_program(const std::string& name,
                                        const std::string& path_list = default_path);

/// Runs and reaps child processes on one io_context. Not thread-safe (nothing in vigild is).
class ProcessRunner {
public:
  /// Opens /dev/null (throws std::system_error if it cannot). `log` must outlive the runner;
  /// the runner must be destroyed before `ctx`.
  ProcessRunner(boost::asio::io_context& ctx, spdlog::logger& log);
  /// Sends SIGKILL to the process group of every program still running. Their run() awaiters
  /// still complete (kind `signaled`, code SIGKILL) and the children are reaped if the
  /// io_context runs again; start() callbacks are no longer called and nothing more is logged.
  ~ProcessRunner();
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  /// Runs `argv` (argv[0] a path, or a name looked up in PATH, see find_program()) and
  /// completes when it has exited and been reaped, or after `timeout` (<= 0: no limit): the
  /// process group then gets SIGTERM and, when the program has exited or 1 s has passed,
  /// SIGKILL (whatever is left in the group, e.g. background children, is killed), and the
  /// result is `timed_out`.
  ///
  /// The program runs as `as` (nullopt: vigild's own identity; setgroups, setgid, setuid in
  /// that order), with stdin, stdout and stderr on /dev/null, no other file descriptor open,
  /// in a new session and process group (setsid), in the directory "/", with every signal at
  /// its default disposition and unblocked, PR_SET_PDEATHSIG SIGTERM (it gets SIGTERM if
  /// vigild dies), and the environment PATH=default_path plus the `env` pairs (a pair named
  /// PATH replaces the default). The process group is not killed when the program exits by
  /// itself: a script may leave a daemon running in the background, as with keepalived.
  ///
  /// Never throws for expected failures: a program that cannot be found or started completes
  /// with `failed`. Cancelling the awaiting operation (per-operation cancellation, e.g. the
  /// `||` awaitable operator) sends SIGKILL to the process group and completes once the
  /// program is reaped (kind `signaled`).
  boost::asio::awaitable<ProcessResult>
  run(std::vector<std::string> argv, std::optional<RunAs> as, std::chrono::nanoseconds timeout,
      std::vector<std::pair<std::string, std::string>> env = {});

  /// Fire and forget (notify scripts): the same as run(), then `done` (may be empty) is called
  /// with the result from the io_context. Failures, non-zero exits, signals and timeouts are
  /// logged at warn with the command line; success at debug.
  void start(std::vector<std::string> argv, std::optional<RunAs> as,
             std::chrono::nanoseconds timeout, std::function<void(const ProcessResult&)> done = {},
             std::vector<std::pair<std::string, std::string>> env = {});

  /// Programs spawned and not yet reaped.
  std::size_t running() const;

private:
  // Shared with the coroutines, which may outlive the runner (they still reap their child).
  std::shared_ptr<detail::ProcessRunnerState> state_;
};

/// Resolves keepalived's `script_user USER [GROUP]` / `user USER [GROUP]`: `user` is a name (or
/// a numeric uid that has a passwd entry); the primary gid is `group`'s (a name or a numeric
/// gid) when given, else the user's; the supplementary groups are the user's groups from the
/// group database (getgrouplist) plus the primary one. On failure returns nullopt and sets
/// `why` ("unknown user 'foo'"). Uses NSS (may read files or ask a directory service):
/// call it when a configuration is loaded, not per run.
std::optional<RunAs> resolve_user(const std::string& user, const std::optional<std::string>& group,
                                  std::string& why);

/// keepalived's `enable_script_security` rule for a program run as root. Returns "" when safe,
/// else one operator-facing reason naming the offending path, e.g.
/// "/etc/vigil/notify.sh is writable by group 'users' (mode 0664)".
///
/// `path` must be absolute (see find_program()). The path is resolved one component at a time,
/// following symbolic links (at most 40), and every directory passed through (from "/"), every
/// symbolic link and the final file is checked:
/// - a directory or the file must be owned by root (an owner can always chmod it);
/// - the file must not be group- or other-writable; the group bit counts whatever the group
///   (its members can change without touching the file), and with POSIX ACLs the group bits
///   are the ACL mask, so a named user or group granted write shows up here too;
/// - a directory must not be group- or other-writable, unless it has the sticky bit (like
///   /tmp): then non-root users can add entries but cannot remove or rename the root-owned
///   entries we go through, which is what keepalived accepts too;
/// - a symbolic link must be owned by root when it sits in such a sticky writable directory
///   (its owner could replace it there); elsewhere nobody but root can change it;
/// - the final target must be a regular file.
/// The error names the symbolic link that led to the offending path, if any. Does stat() and
/// readlink() calls and user/group name lookups: call it when a configuration is loaded.
std::string script_security_problem(const std::string& path);

} // namespace vigil::core::io
