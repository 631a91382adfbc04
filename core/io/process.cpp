#include "core/io/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <map>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/logger.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace vigil::core::io {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using Env = std::vector<std::pair<std::string, std::string>>;

constexpr auto kill_grace = 1s; // SIGTERM -> SIGKILL after a timeout
constexpr auto reap_poll = 5ms; // only if a pidfd said "exited" before waitid agreed
constexpr std::size_t child_stack_size = 64 * 1024;

std::string errno_text(int code) {
  char buf[128];
  // GNU strerror_r returns the message pointer.
  return ::strerror_r(code, buf, sizeof buf);
}

std::string signal_name(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig))
    return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

/// argv as one line for logs; arguments with blanks or quotes are single-quoted.
std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty())
      out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) {
      if (c == '\'')
        out += "'\\''";
      else
        out += c;
    }
    out += '\'';
  }
  return out;
}

// --- the child, between clone() and execve() ----------------------------------------------------
//
// Why clone(CLONE_VM | CLONE_VFORK) rather than fork(): the child borrows the parent's memory
// instead of copying its page tables, so spawning costs the same few tens of microseconds
// whatever vigild's size (fork() of a sanitizer build maps terabytes of shadow memory), and the
// parent never takes copy-on-write faults afterwards. glibc's posix_spawn works the same way
// but cannot set credentials, the parent-death signal or a full signal reset.
//
// The price is discipline, because the child runs on vigild's memory until execve():
// - it runs on its own stack (mmap'ed once per runner; the parent is suspended meanwhile, and
//   there is only one thread, so one stack is enough);
// - it makes raw system calls only: no allocation, no locks, no libc wrapper with user-space
//   side effects (glibc's setuid() would broadcast to the parent's threads), no sanitizer
//   interceptor, and this function is not instrumented (ASan would poison shadow memory that
//   the parent shares);
// - every signal is blocked in the parent around clone(), so no vigild handler runs on the
//   child's stack; the child resets every disposition to SIG_DFL before unblocking;
// - errno is thread-local storage shared with the parent: the parent saves and restores it;
// - failures are reported through ChildArgs (shared memory; CLONE_VFORK guarantees the parent
//   reads it only after the child has called execve() or exited), so no pipe is needed.

enum class Step : int { none, setsid, stdio, setgroups, setgid, setuid, pdeathsig, parent, exec };

struct ChildArgs {
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  int devnull = -1;
  bool change_ids = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  std::size_t ngroups = 0;
  pid_t parent = 0;
  unsigned max_fd = 0; ///< for the close() loop when close_range() is missing
  // Written by the child when it fails:
  Step failed = Step::none;
  int error = 0;
};

/// The kernel's struct sigaction (the raw rt_sigaction system call does not take glibc's).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};
constexpr KernelSigaction default_action{}; // SIG_DFL, no flags, empty mask
constexpr unsigned long empty_mask = 0;
constexpr int kernel_nsig = 64;

#define VIGIL_CHILD_FAIL(step)                                                                     \
  do {                                                                                             \
    a->error = errno;                                                                              \
    a->failed = (step);                                                                            \
    ::syscall(SYS_exit_group, 127);                                                                \
    return 127;                                                                                    \
  } while (0)

__attribute__((no_sanitize("address", "undefined"))) int child_main(void* arg) {
  auto* a = static_cast<ChildArgs*>(arg);
  for (int sig = 1; sig <= kernel_nsig; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP)
      ::syscall(SYS_rt_sigaction, sig, &default_action, nullptr, sizeof empty_mask);
  }
  if (::syscall(SYS_setsid) < 0)
    VIGIL_CHILD_FAIL(Step::setsid);
  for (int fd = 0; fd <= 2; ++fd) {
    // dup3 clears FD_CLOEXEC on the copy; if /dev/null already has this number, clear it here.
    long rc = a->devnull == fd ? ::syscall(SYS_fcntl, fd, F_SETFD, 0)
                               : ::syscall(SYS_dup3, a->devnull, fd, 0);
    if (rc < 0)
      VIGIL_CHILD_FAIL(Step::stdio);
  }
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
#endif
  {
    for (unsigned fd = 3; fd < a->max_fd; ++fd)
      ::syscall(SYS_close, fd);
  }
  if (a->change_ids) {
    if (::syscall(SYS_setgroups, a->ngroups, a->groups) < 0)
      VIGIL_CHILD_FAIL(Step::setgroups);
    if (::syscall(SYS_setgid, a->gid) < 0)
      VIGIL_CHILD_FAIL(Step::setgid);
    if (::syscall(SYS_setuid, a->uid) < 0)
      VIGIL_CHILD_FAIL(Step::setuid);
  }
  // After the credential change, which clears the parent-death signal.
  if (::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
    VIGIL_CHILD_FAIL(Step::pdeathsig);
  if (::syscall(SYS_getppid) != a->parent) { // vigild died before the prctl
    errno = ESRCH;
    VIGIL_CHILD_FAIL(Step::parent);
  }
  ::syscall(SYS_chdir, "/");
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty_mask, nullptr, sizeof empty_mask);
  ::syscall(SYS_execve, a->path, a->argv, a->envp);
  VIGIL_CHILD_FAIL(Step::exec);
}

#undef VIGIL_CHILD_FAIL

std::string step_error(const ChildArgs& a) {
  std::string what;
  switch (a.failed) {
  case Step::setsid:
    what = "setsid";
    break;
  case Step::stdio:
    what = "cannot redirect stdin/stdout/stderr to /dev/null";
    break;
  case Step::setgroups:
    what = fmt::format("cannot set the supplementary groups ({} group(s))", a.ngroups);
    break;
  case Step::setgid:
    what = fmt::format("cannot switch to group id {}", a.gid);
    break;
  case Step::setuid:
    what = fmt::format("cannot switch to user id {}", a.uid);
    break;
  case Step::pdeathsig:
    what = "prctl(PR_SET_PDEATHSIG)";
    break;
  case Step::parent:
    what = "vigild exited while it was starting";
    break;
  case Step::exec:
    what = fmt::format("cannot execute {}", a.path);
    break;
  case Step::none:
    return {};
  }
  return what + ": " + errno_text(a.error);
}

/// What run() needs, built in the parent before the clone (the child must not allocate).
struct Prepared {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env; // NAME=value
  std::vector<char*> argv_ptrs;
  std::vector<char*> env_ptrs;
  std::optional<RunAs> as;
};

/// Checks and flattens a request; returns an error text when it cannot run.
std::string prepare(Prepared& p, std::vector<std::string> argv, std::optional<RunAs> as,
                    const Env& env) {
  if (argv.empty() || argv.front().empty())
    return "empty command";
  Env vars{{"PATH", default_path}};
  for (const auto& var : env) {
    const std::string& name = var.first;
    if (name.empty() || name.find('=') != std::string::npos)
      return fmt::format("invalid environment variable name '{}'", name);
    auto it =
        std::find_if(vars.begin(), vars.end(), [&](const auto& v) { return v.first == name; });
    if (it != vars.end())
      it->second = var.second;
    else
      vars.push_back(var);
  }
  auto found = find_program(argv.front(), vars.front().second);
  if (!found)
    return fmt::format("cannot find '{}' in PATH={}: {}", argv.front(), vars.front().second,
                       errno_text(ENOENT));
  p.path = std::move(*found);
  p.argv = std::move(argv);
  for (const auto& [name, value] : vars)
    p.env.push_back(name + '=' + value);
  for (auto& s : p.argv)
    p.argv_ptrs.push_back(s.data());
  p.argv_ptrs.push_back(nullptr);
  for (auto& s : p.env)
    p.env_ptrs.push_back(s.data());
  p.env_ptrs.push_back(nullptr);
  p.as = std::move(as);
  return {};
}

bool ready_to_reap(int pidfd, siginfo_t& info, int& error) {
  info = {};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG) != 0) {
    error = errno;
    return true;
  }
  error = 0;
  return info.si_pid != 0;
}

std::string format_duration(std::chrono::nanoseconds d) {
  return fmt::format("{:.3f} s", std::chrono::duration<double>(d).count());
}

} // namespace

// --- state shared by the runner and its coroutines
// -------------------------------------------------

namespace detail {

struct Child {
  Child(asio::io_context& ctx, pid_t p, int fd) : pid(p), pidfd(ctx, fd), wake(ctx) {}
  pid_t pid;
  asio::posix::stream_descriptor pidfd; ///< readable once the child has exited
  asio::steady_timer wake;              ///< the coroutine parks here; cancelled on exit
  bool exit_seen = false;               ///< the pidfd wait has completed
  std::string spawn_error;              ///< the child failed before execve()
  std::string command;

  /// Signals the whole process group. Only called while the leader is not reaped yet, so the
  /// group id cannot have been reused.
  void signal_group(int sig) const { ::kill(-pid, sig); }
};

struct ProcessRunnerState {
  ProcessRunnerState(asio::io_context& c, spdlog::logger& l) : ctx(c), log(l) {
    devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
      throw std::system_error(errno, std::generic_category(), "open /dev/null");
    void* s = ::mmap(nullptr, child_stack_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (s == MAP_FAILED) {
      int e = errno;
      ::close(devnull);
      throw std::system_error(e, std::generic_category(), "mmap child stack");
    }
    stack = static_cast<char*>(s);
    rlimit rl{};
    max_fd = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      max_fd = static_cast<unsigned>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
  }
  ~ProcessRunnerState() {
    ::munmap(stack, child_stack_size);
    ::close(devnull);
  }
  ProcessRunnerState(const ProcessRunnerState&) = delete;
  ProcessRunnerState& operator=(const ProcessRunnerState&) = delete;

  /// Clones and execs; returns the child (possibly one that failed before execve, see
  /// Child::spawn_error) or sets `error` when no process could be created.
  std::shared_ptr<Child> launch(const Prepared& p, std::string& error) {
    ChildArgs a;
    a.path = p.path.c_str();
    a.argv = p.argv_ptrs.data();
    a.envp = p.env_ptrs.data();
    a.devnull = devnull;
    if (p.as) {
      a.change_ids = true;
      a.uid = p.as->uid;
      a.gid = p.as->gid;
      a.groups = p.as->groups.data();
      a.ngroups = p.as->groups.size();
    }
    a.parent = ::getpid();
    a.max_fd = max_fd;

    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    int saved_errno = errno;
    int fd = -1;
    pid_t pid = ::clone(child_main, stack + child_stack_size,
                        CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &a, &fd);
    int clone_errno = errno;
    errno = saved_errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
      error = "cannot create a process: " + errno_text(clone_errno);
      return nullptr;
    }
    if (fd < 0) // a kernel that ignored CLONE_PIDFD
      fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    std::shared_ptr<Child> c;
    if (fd < 0) {
      error = "cannot watch the new process: pidfd_open: " + errno_text(errno);
    } else {
      try {
        c = std::make_shared<Child>(ctx, pid, fd);
      } catch (const std::exception& e) {
        error = std::string("cannot watch the new process: ") + e.what();
        ::close(fd);
      }
    }
    if (!c) {
      // It cannot be reaped asynchronously: stop it now; it is brand new, this is quick.
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return nullptr;
    }
    c->spawn_error = step_error(a);
    children.emplace(pid, c);
    return c;
  }

  asio::io_context& ctx;
  spdlog::logger& log;
  int devnull = -1;
  char* stack = nullptr;
  unsigned max_fd = 0;
  std::map<pid_t, std::shared_ptr<Child>> children; ///< spawned, not reaped yet
  bool closed = false;                              ///< the runner is gone
};

} // namespace detail

namespace {

using detail::Child;
using State = detail::ProcessRunnerState;

enum class Woken { exited, deadline, cancelled };

/// Parks until the child exits, `deadline` passes or the awaiting operation is cancelled.
asio::awaitable<Woken> wait_until(Child& c, SteadyClock::time_point deadline) {
  if (c.exit_seen)
    co_return Woken::exited;
  c.wake.expires_at(deadline);
  auto [ec] = co_await c.wake.async_wait(asio::as_tuple(asio::use_awaitable));
  if (c.exit_seen)
    co_return Woken::exited;
  co_return ec ? Woken::cancelled : Woken::deadline;
}

asio::awaitable<ProcessResult> run_process(std::shared_ptr<State> st, std::vector<std::string> argv,
                                           std::optional<RunAs> as,
                                           std::chrono::nanoseconds timeout, Env env) {
  // A cancelled caller must not abandon an unreaped child: keep awaiting, kill and reap.
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto started = SteadyClock::now();
  ProcessResult r;
  const std::string command = command_line(argv);
  Prepared p;
  std::string error = prepare(p, std::move(argv), std::move(as), env);
  std::shared_ptr<Child> c;
  if (error.empty())
    c = st->launch(p, error);
  if (!c) {
    r.kind = ProcessResult::Kind::failed;
    r.error = std::move(error);
    r.duration = SteadyClock::now() - started;
    co_return r;
  }
  c->command = command;
  if (!st->closed)
    st->log.debug("started `{}` (pid {}{}{})", command, c->pid, p.as ? ", as " : "",
                  p.as ? p.as->user : "");
  // Armed once and never cancelled: a wait started after the (edge-triggered) readiness could
  // miss it.
  c->pidfd.async_wait(asio::posix::stream_descriptor::wait_read,
                      [c](const boost::system::error_code&) {
                        // On an error (never seen) the reap below polls instead.
                        c->exit_seen = true;
                        c->wake.cancel();
                      });

  bool timed_out = false;
  // <= 0 is no limit; a limit past the clock's range is none either (and must not overflow).
  const bool limited = timeout > std::chrono::nanoseconds::zero() &&
                       timeout < SteadyClock::time_point::max() - started;
  const auto deadline = limited
                            ? started + std::chrono::duration_cast<SteadyClock::duration>(timeout)
                            : SteadyClock::time_point::max();
  Woken w = co_await wait_until(*c, deadline);
  if (w != Woken::exited) {
    if (w == Woken::deadline) {
      timed_out = true;
      if (!st->closed)
        st->log.debug("`{}` (pid {}) timed out after {}; sending SIGTERM to its process group",
                      command, c->pid, format_duration(timeout));
      c->signal_group(SIGTERM);
      w = co_await wait_until(*c, SteadyClock::now() + kill_grace);
    }
    // Also after a prompt exit on SIGTERM: what is left in the group (background children)
    // goes too, while the unreaped leader still pins the group id.
    c->signal_group(SIGKILL);
    while (w != Woken::exited)
      w = co_await wait_until(*c, SteadyClock::time_point::max());
  }

  siginfo_t info{};
  int wait_error = 0;
  while (!ready_to_reap(c->pidfd.native_handle(), info, wait_error)) {
    // The pidfd said "exited" but waitid does not agree yet (or the pidfd wait failed): poll.
    c->wake.expires_after(reap_poll);
    co_await c->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  st->children.erase(c->pid);
  r.duration = SteadyClock::now() - started;
  if (wait_error != 0) {
    r.kind = ProcessResult::Kind::failed;
    r.error = fmt::format("cannot reap pid {}: {}", c->pid, errno_text(wait_error));
  } else if (!c->spawn_error.empty()) {
    r.kind = ProcessResult::Kind::failed;
    r.error = c->spawn_error;
  } else if (info.si_code == CLD_EXITED) {
    r.kind = timed_out ? ProcessResult::Kind::timed_out : ProcessResult::Kind::exited;
    r.code = info.si_status;
  } else {
    r.kind = timed_out ? ProcessResult::Kind::timed_out : ProcessResult::Kind::signaled;
    r.code = info.si_status;
  }
  if (!st->closed)
    st->log.debug("`{}` (pid {}) {}", command, c->pid, describe(r));
  co_return r;
}

} // namespace

// --- public API --------------------------------------------------------------------------------

std::string describe(const ProcessResult& r) {
  using Kind = ProcessResult::Kind;
  std::string after = " after " + format_duration(r.duration);
  switch (r.kind) {
  case Kind::exited:
    return fmt::format("exited with status {}{}", r.code, after);
  case Kind::signaled:
    return fmt::format("was killed by {}{}", signal_name(r.code), after);
  case Kind::timed_out:
    if (r.code == SIGTERM || r.code == SIGKILL)
      return fmt::format("timed out and was killed ({}){}", signal_name(r.code), after);
    return fmt::format("timed out and exited with status {} on SIGTERM{}", r.code, after);
  case Kind::failed:
    return "could not be started: " + r.error;
  }
  return {};
}

std::optional<std::string> find_program(const std::string& name, const std::string& path_list) {
  if (name.empty())
    return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (name.front() == '/')
      return name;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd))
      return std::nullopt;
    return std::string(cwd) + '/' + name;
  }
  std::size_t begin = 0;
  while (begin <= path_list.size()) {
    std::size_t end = path_list.find(':', begin);
    if (end == std::string::npos)
      end = path_list.size();
    std::string dir = path_list.substr(begin, end - begin);
    begin = end + 1;
    if (dir.empty())
      continue; // an empty entry means "." in POSIX: never for a daemon
    std::string candidate = dir + '/' + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

ProcessRunner::ProcessRunner(boost::asio::io_context& ctx, spdlog::logger& log)
    : state_(std::make_shared<detail::ProcessRunnerState>(ctx, log)) {}

ProcessRunner::~ProcessRunner() {
  state_->closed = true;
  for (const auto& [pid, child] : state_->children) {
    if (!child->exit_seen)
      state_->log.info("stopping `{}` (pid {}): sending SIGKILL to its process group",
                       child->command, pid);
    child->signal_group(SIGKILL);
  }
}

boost::asio::awaitable<ProcessResult> ProcessRunner::run(std::vector<std::string> argv,
                                                         std::optional<RunAs> as,
                                                         std::chrono::nanoseconds timeout,
                                                         Env env) {
  // Not a coroutine itself: the frame must not hold `this`, the runner may go first.
  return run_process(state_, std::move(argv), std::move(as), timeout, std::move(env));
}

void ProcessRunner::start(std::vector<std::string> argv, std::optional<RunAs> as,
                          std::chrono::nanoseconds timeout,
                          std::function<void(const ProcessResult&)> done, Env env) {
  std::string command = command_line(argv);
  asio::co_spawn(state_->ctx,
                 run_process(state_, std::move(argv), std::move(as), timeout, std::move(env)),
                 [st = state_, command = std::move(command),
                  done = std::move(done)](std::exception_ptr e, ProcessResult r) {
                   if (e) {
                     r = {};
                     r.kind = ProcessResult::Kind::failed;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       r.error = ex.what();
                     } catch (...) {
                       r.error = "unknown exception";
                     }
                   }
                   if (st->closed)
                     return;
                   if (r.success())
                     st->log.debug("`{}` {}", command, describe(r));
                   else
                     st->log.warn("`{}` {}", command, describe(r));
                   if (done)
                     done(r);
                 });
}

std::size_t ProcessRunner::running() const {
  return state_->children.size();
}

// --- users
// -----------------------------------------------------------------------------------------

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 11 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Calls a getpw*_r / getgr*_r function with a growing buffer. Returns the errno-style code
/// (0 with *result == nullptr: no such entry).
template <class Entry, class F> int lookup(Entry& entry, Entry*& result, std::string& buf, F f) {
  buf.resize(1024);
  for (;;) {
    int rc = f(&entry, buf.data(), buf.size(), &result);
    if (rc != ERANGE || buf.size() > (1U << 24))
      return rc;
    buf.resize(buf.size() * 4);
  }
}

std::string user_name(uid_t uid) {
  passwd pw{};
  passwd* res = nullptr;
  std::string buf;
  if (lookup(pw, res, buf,
             [&](passwd* e, char* b, std::size_t n, passwd** r) {
               return ::getpwuid_r(uid, e, b, n, r);
             }) == 0 &&
      res)
    return res->pw_name;
  return std::to_string(uid);
}

std::string group_name(gid_t gid) {
  group gr{};
  group* res = nullptr;
  std::string buf;
  if (lookup(gr, res, buf,
             [&](group* e, char* b, std::size_t n, group** r) {
               return ::getgrgid_r(gid, e, b, n, r);
             }) == 0 &&
      res)
    return res->gr_name;
  return std::to_string(gid);
}

} // namespace

std::optional<RunAs> resolve_user(const std::string& user, const std::optional<std::string>& group,
                                  std::string& why) {
  passwd pw{};
  passwd* pres = nullptr;
  std::string pbuf;
  int rc = lookup(pw, pres, pbuf, [&](passwd* e, char* b, std::size_t n, passwd** r) {
    return ::getpwnam_r(user.c_str(), e, b, n, r);
  });
  if (rc == 0 && !pres && all_digits(user)) {
    auto uid = static_cast<uid_t>(std::stoul(user));
    rc = lookup(pw, pres, pbuf, [&](passwd* e, char* b, std::size_t n, passwd** r) {
      return ::getpwuid_r(uid, e, b, n, r);
    });
  }
  if (rc != 0) {
    why = fmt::format("cannot look up user '{}': {}", user, errno_text(rc));
    return std::nullopt;
  }
  if (!pres) {
    why = fmt::format("unknown user '{}'", user);
    return std::nullopt;
  }
  RunAs as;
  as.uid = pres->pw_uid;
  as.gid = pres->pw_gid;
  as.user = pres->pw_name;
  if (group) {
    struct group gr {};
    struct group* gres = nullptr;
    std::string gbuf;
    rc = lookup(gr, gres, gbuf, [&](struct group* e, char* b, std::size_t n, struct group** r) {
      return ::getgrnam_r(group->c_str(), e, b, n, r);
    });
    if (rc != 0) {
      why = fmt::format("cannot look up group '{}': {}", *group, errno_text(rc));
      return std::nullopt;
    }
    if (gres)
      as.gid = gres->gr_gid;
    else if (all_digits(*group))
      as.gid = static_cast<gid_t>(std::stoul(*group)); // a gid needs no name
    else {
      why = fmt::format("unknown group '{}'", *group);
      return std::nullopt;
    }
  }
  int n = 32;
  for (int tries = 0; tries < 8; ++tries) {
    as.groups.resize(static_cast<std::size_t>(n));
    int got = n;
    if (::getgrouplist(as.user.c_str(), as.gid, as.groups.data(), &got) >= 0) {
      as.groups.resize(static_cast<std::size_t>(got));
      return as;
    }
    n = std::max(got, n * 2);
  }
  why = fmt::format("cannot list the groups of user '{}'", user);
  return std::nullopt;
}

// --- script security
// ---------------------------------------------------------------------------------

namespace {

std::string mode_text(mode_t mode) {
  return fmt::format("mode {:04o}", mode & 07777);
}

/// The problem with one directory or file on the path, "" when none.
std::string element_problem(const std::string& path, const struct stat& st) {
  const bool dir = S_ISDIR(st.st_mode);
  const std::string what = dir ? "directory " + path : path;
  if (st.st_uid != 0)
    return fmt::format("{} is owned by user '{}', not root", what, user_name(st.st_uid));
  const bool group_w = st.st_mode & S_IWGRP;
  const bool other_w = st.st_mode & S_IWOTH;
  if (dir && (st.st_mode & S_ISVTX))
    return {}; // sticky: others may add entries, not replace root's
  if (group_w && other_w)
    return fmt::format("{} is writable by group '{}' and by everyone ({})", what,
                       group_name(st.st_gid), mode_text(st.st_mode));
  if (group_w)
    return fmt::format("{} is writable by group '{}' ({})", what, group_name(st.st_gid),
                       mode_text(st.st_mode));
  if (other_w)
    return fmt::format("{} is writable by everyone ({})", what, mode_text(st.st_mode));
  return {};
}

std::deque<std::string> split_path(const std::string& path) {
  std::deque<std::string> parts;
  std::size_t begin = 0;
  while (begin < path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string::npos)
      end = path.size();
    if (end > begin)
      parts.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

} // namespace

std::string script_security_problem(const std::string& path) {
  if (path.empty() || path.front() != '/')
    return fmt::format("'{}' is not an absolute path", path);
  std::deque<std::string> pending = split_path(path);
  std::string current = "/"; // resolved so far: no symbolic link in it
  struct stat current_st {};
  std::string via; // the last symbolic link followed, for the messages
  int links = 0;
  auto with_via = [&](std::string problem) {
    if (!via.empty() && !problem.empty())
      problem += " (reached through the symbolic link " + via + ")";
    return problem;
  };
  if (::stat("/", &current_st) != 0)
    return "cannot check /: " + errno_text(errno);
  if (auto p = element_problem("/", current_st); !p.empty())
    return p;

  while (!pending.empty()) {
    std::string name = std::move(pending.front());
    pending.pop_front();
    if (name == ".")
      continue;
    if (name == "..") { // `current` has no symbolic link, so ".." is lexical
      auto slash = current.rfind('/');
      current = slash == 0 ? "/" : current.substr(0, slash);
      if (::stat(current.c_str(), &current_st) != 0)
        return with_via("cannot check " + current + ": " + errno_text(errno));
      continue;
    }
    if (!S_ISDIR(current_st.st_mode))
      return with_via(current + " is not a directory");
    std::string next = current == "/" ? "/" + name : current + '/' + name;
    struct stat st {};
    if (::lstat(next.c_str(), &st) != 0)
      return with_via("cannot check " + next + ": " + errno_text(errno));
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40)
        return path + ": too many levels of symbolic links";
      const bool others_can_add = current_st.st_mode & (S_IWGRP | S_IWOTH);
      if (others_can_add && st.st_uid != 0)
        return with_via(fmt::format(
            "symbolic link {} is owned by user '{}' in the shared directory {} ({}): its owner "
            "can replace it",
            next, user_name(st.st_uid), current, mode_text(current_st.st_mode)));
      std::string target(PATH_MAX, '\0');
      ssize_t n = ::readlink(next.c_str(), target.data(), target.size());
      if (n < 0)
        return with_via("cannot read the symbolic link " + next + ": " + errno_text(errno));
      target.resize(static_cast<std::size_t>(n));
      auto parts = split_path(target);
      pending.insert(pending.begin(), parts.begin(), parts.end());
      if (!target.empty() && target.front() == '/') {
        current = "/";
        if (::stat("/", &current_st) != 0)
          return "cannot check /: " + errno_text(errno);
      }
      via = next;
      continue;
    }
    if (auto p = element_problem(next, st); !p.empty())
      return with_via(p);
    current = std::move(next);
    current_st = st;
  }
  if (!S_ISREG(current_st.st_mode))
    return with_via(current + " is not a regular file");
  return {};
}

} // namespace vigil::core::io
