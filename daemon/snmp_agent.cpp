#include "daemon/snmp_agent.hpp"

#include <syslog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <initializer_list>
#include <map>
#include <vector>

// net-snmp's headers define many macros: they stay in this file.
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "core/io/fd.hpp"

#include <dlfcn.h>

namespace vigil::daemon {
namespace {

// net-snmp's agent library pulls in libperl, Kerberos and more: linked into vigild it costs
// every start ~5 ms (measured: 12 -> 17 ms for `vigild --version`), which a restart without
// failover cannot spare, and memory that most operators never use. It is loaded when a
// configuration first enables traps, and its functions are called through this table (the
// declarations come from net-snmp's own headers, so the types are checked).
#define VIGIL_SNMP_FUNCTIONS(X)                                                                    \
  X(netsnmp_ds_set_boolean)                                                                        \
  X(netsnmp_ds_set_string)                                                                         \
  X(netsnmp_ds_set_int)                                                                            \
  X(set_persistent_directory)                                                                      \
  X(set_configuration_directory)                                                                   \
  X(snmp_disable_log)                                                                              \
  X(netsnmp_register_loghandler)                                                                   \
  X(snmp_register_callback)                                                                        \
  X(snmp_unregister_callback)                                                                      \
  X(init_agent)                                                                                    \
  X(init_snmp)                                                                                     \
  X(snmp_shutdown)                                                                                 \
  X(netsnmp_large_fd_set_init)                                                                     \
  X(netsnmp_large_fd_set_cleanup)                                                                  \
  X(netsnmp_large_fd_setfd)                                                                        \
  X(netsnmp_large_fd_is_set)                                                                       \
  X(snmp_select_info2)                                                                             \
  X(get_next_alarm_delay_time)                                                                     \
  X(snmp_timeout)                                                                                  \
  X(run_alarms)                                                                                    \
  X(snmp_read2)                                                                                    \
  X(send_v2trap)                                                                                   \
  X(snmp_varlist_add_variable)                                                                     \
  X(snmp_free_varbind)

struct NetSnmp {
#define VIGIL_SNMP_MEMBER(f) decltype(&::f) f = nullptr;
  VIGIL_SNMP_FUNCTIONS(VIGIL_SNMP_MEMBER)
#undef VIGIL_SNMP_MEMBER
  netsnmp_session** main_session = nullptr; ///< the AgentX session (null while not connected)

  /// Loads the library (once); empty on success, else why not.
  std::string load() {
    if (main_session)
      return {};
    void* lib = ::dlopen("libnetsnmpagent.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!lib)
      lib = ::dlopen("libnetsnmpagent.so", RTLD_NOW | RTLD_GLOBAL);
    if (!lib)
      return std::string("cannot load net-snmp's agent library (install libsnmp40): ") +
             ::dlerror();
#define VIGIL_SNMP_LOOKUP(f)                                                                       \
  f = reinterpret_cast<decltype(f)>(::dlsym(lib, #f));                                             \
  if (!f)                                                                                          \
    return "net-snmp's library has no " #f;
    VIGIL_SNMP_FUNCTIONS(VIGIL_SNMP_LOOKUP)
#undef VIGIL_SNMP_LOOKUP
    main_session = reinterpret_cast<netsnmp_session**>(::dlsym(lib, "main_session"));
    if (!main_session)
      return "net-snmp's library has no main_session";
    return {};
  }
  netsnmp_session* session() const {
    return main_session ? *main_session : nullptr;
  }
};

NetSnmp api; // one per process, as net-snmp's own state

} // namespace
} // namespace vigil::daemon

namespace vigil::daemon {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

using Oid = std::vector<oid>;

Oid with(std::initializer_list<oid> base, std::initializer_list<oid> tail) {
  Oid o(base);
  o.insert(o.end(), tail);
  return o;
}
/// KEEPALIVED-MIB: enterprises.9586.100.5
Oid keepalived(std::initializer_list<oid> tail) {
  return with({1, 3, 6, 1, 4, 1, 9586, 100, 5}, tail);
}
Oid vrrp_mib(std::initializer_list<oid> tail) {
  return with({1, 3, 6, 1, 2, 1, 68}, tail);
}
Oid vrrpv3_mib(std::initializer_list<oid> tail) {
  return with({1, 3, 6, 1, 2, 1, 207}, tail);
}
const Oid snmp_trap_oid = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; // snmpTrapOID.0
const Oid router_id_oid = keepalived({1, 2, 0});             // routerId.0

/// A trap's variable bindings, snmpTrapOID.0 first (net-snmp puts sysUpTime.0 before it).
class Vars {
public:
  explicit Vars(const Oid& trap) {
    add(snmp_trap_oid, ASN_OBJECT_ID, trap.data(), trap.size() * sizeof(oid));
  }
  ~Vars() { api.snmp_free_varbind(list_); }
  Vars(const Vars&) = delete;
  Vars& operator=(const Vars&) = delete;

  void integer(const Oid& name, long v) { add(name, ASN_INTEGER, &v, sizeof v); }
  void gauge(const Oid& name, unsigned long v) { add(name, ASN_UNSIGNED, &v, sizeof v); }
  void string(const Oid& name, const std::string& v) {
    add(name, ASN_OCTET_STR, v.data(), v.size());
  }
  void octets(const Oid& name, const core::IpAddress& a) {
    add(name, ASN_OCTET_STR, a.data(), a.size());
  }
  void ipaddress(const Oid& name, const core::IpAddress& a) {
    add(name, ASN_IPADDRESS, a.data(), a.size());
  }
  netsnmp_variable_list* get() { return list_; }

private:
  void add(const Oid& name, u_char type, const void* value, std::size_t len) {
    api.snmp_varlist_add_variable(&list_, name.data(), name.size(), type,
                                  static_cast<const u_char*>(value), len);
  }
  netsnmp_variable_list* list_ = nullptr;
};

/// net-snmp's log lines into the daemon's log.
int log_to_spdlog(int, int, void* server_arg, void* client_arg) {
  const auto* m = static_cast<const snmp_log_message*>(server_arg);
  auto* log = static_cast<spdlog::logger*>(client_arg);
  if (!m || !m->msg || !log)
    return 0;
  std::string text(m->msg);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  auto level = m->priority <= LOG_ERR      ? spdlog::level::warn
               : m->priority <= LOG_NOTICE ? spdlog::level::info
                                           : spdlog::level::debug;
  log->log(level, "SNMP: {}", text);
  return 0;
}

long inet_type(const core::IpAddress& a) {
  return a.is_v4() ? 1 : 2;
} // InetAddressType

} // namespace

struct SnmpAgent::Impl {
  Impl(asio::io_context& c, spdlog::logger& l, std::string dir)
      : ctx(c), log(l), state_dir(std::move(dir)), timer(c) {}

  asio::io_context& ctx;
  spdlog::logger& log;
  std::string state_dir;
  core::config::Snmp settings;
  std::string router_id;
  std::string socket; ///< as opened (a reload cannot move the subagent)
  bool started = false;
  bool stopped = false;
  std::string unavailable; ///< why the library could not be loaded
  bool connected = false;
  std::map<int, std::unique_ptr<core::io::Fd>> fds; ///< net-snmp's descriptors, borrowed
  const void* session = nullptr;                    ///< the AgentX session they belong to
  asio::steady_timer timer;
  std::uint64_t sent = 0;
  std::uint64_t unsent = 0; ///< while no AgentX master was connected
  std::map<std::string, std::uint64_t> by_trap;

  void start() {
    socket = settings.socket;
    if (auto why = api.load(); !why.empty()) {
      unavailable = why;
      log.error("SNMP: {}; no trap is sent", why);
      return;
    }
    // A subagent, configured here and only here: no snmp.conf, no persistent state in
    // /var/lib/snmp, no SIGALRM (the loop runs net-snmp's alarms), no MIB files to parse.
    api.netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    api.netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, socket.c_str());
    api.netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    api.netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    api.netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    api.netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    api.netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    const std::string own = state_dir + "/snmp";
    api.set_persistent_directory(own.c_str());
    api.set_configuration_directory(own.c_str());
    api.snmp_disable_log();
    api.netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
    api.snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_to_spdlog, &log);
    // No MIB module to load (traps need none): net-snmp takes the list from $MIBS only, so it
    // is set to empty for the initialisation and put back at once (scripts inherit the
    // operator's value).
    const char* mibs = std::getenv("MIBS");
    const std::optional<std::string> saved = mibs ? std::optional<std::string>(mibs) : std::nullopt;
    ::setenv("MIBS", "", 1);
    api.init_agent("vigild");
    // init_agent() sets net-snmp's defaults: ours go in after it. Reconnect every 5 s.
    // net-snmp opens the AgentX session synchronously (at start and at each reconnection): a
    // live snmpd answers in microseconds; a hung one may hold the loop this long (in us).
    // No retransmission: a late answer must not turn one trap into two.
    api.netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
    api.netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_TIMEOUT, 100000);
    api.netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_RETRIES, 0);
    api.init_snmp("vigild");
    saved ? ::setenv("MIBS", saved->c_str(), 1) : ::unsetenv("MIBS");
    started = true;
    log.info("SNMP: AgentX subagent {} to {}",
             api.session() ? "connected" : "not connected yet (retried every 5 s)", socket);
    connected = api.session() != nullptr;
    pump();
  }

  /// Watches net-snmp's descriptors and its next timeout. Re-run after every call into
  /// net-snmp, which may close and reopen its session: a new session (whose descriptor may
  /// have the number of the old one) gets new watchers; otherwise they stay, so no readiness
  /// is lost between two watchers.
  void pump() {
    if (!started || stopped)
      return;
    if (api.session() != session) {
      fds.clear();
      session = api.session();
    }
    int numfds = 0;
    int block = 1;
    timeval tv{};
    netsnmp_large_fd_set set;
    api.netsnmp_large_fd_set_init(&set, FD_SETSIZE);
    api.snmp_select_info2(&numfds, &set, &tv, &block);
    for (auto it = fds.begin(); it != fds.end();)
      it = api.netsnmp_large_fd_is_set(it->first, &set) ? std::next(it) : fds.erase(it);
    for (int fd = 0; fd < numfds; ++fd) {
      if (!api.netsnmp_large_fd_is_set(fd, &set) || fds.count(fd))
        continue;
      auto w = std::make_unique<core::io::Fd>(ctx, fd, core::io::Fd::Ownership::borrowed);
      w->on_readable([this, fd] { readable(fd); });
      fds.emplace(fd, std::move(w));
    }
    api.netsnmp_large_fd_set_cleanup(&set);
    std::chrono::microseconds wait = 1s;
    auto us = [](const timeval& t) {
      return std::chrono::microseconds(std::int64_t(t.tv_sec) * 1000000 + t.tv_usec);
    };
    if (!block)
      wait = std::min(wait, us(tv));
    timeval alarm{};
    if (api.get_next_alarm_delay_time(&alarm) != 0)
      wait = std::min(wait, us(alarm));
    timer.expires_after(std::max(wait, std::chrono::microseconds(1000)));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped)
        return;
      api.snmp_timeout();
      api.run_alarms();
      note_connection();
      pump();
    });
  }

  void readable(int fd) {
    netsnmp_large_fd_set set;
    api.netsnmp_large_fd_set_init(&set, FD_SETSIZE);
    api.netsnmp_large_fd_setfd(fd, &set);
    api.snmp_read2(&set);
    api.netsnmp_large_fd_set_cleanup(&set);
    note_connection();
    asio::post(ctx, [this] { pump(); }); // not from inside the watcher being replaced
  }

  void note_connection() {
    bool now = api.session() != nullptr;
    if (now != connected)
      log.info("SNMP: AgentX master {} {}", socket, now ? "connected" : "went away");
    connected = now;
  }

  bool on(bool family) const { return started && !stopped && settings.enable_traps && family; }

  void send(const char* name, Vars& v) {
    note_connection();
    if (!connected) {
      ++unsent;
      log.debug("SNMP: {} not sent: no AgentX master at {}", name, socket);
      return;
    }
    api.send_v2trap(v.get());
    ++sent;
    ++by_trap[name];
    log.debug("SNMP: sent {}", name);
    asio::post(ctx, [this] { pump(); });
  }
};

SnmpAgent::SnmpAgent(asio::io_context& ctx, spdlog::logger& log, std::string state_dir)
    : impl_(std::make_unique<Impl>(ctx, log, std::move(state_dir))) {}

SnmpAgent::~SnmpAgent() {
  stop();
}

void SnmpAgent::configure(const core::config::GlobalDefs& g) {
  auto& m = *impl_;
  m.settings = g.snmp;
  m.router_id = g.router_id;
  if (!m.started && !m.stopped && m.unavailable.empty() && g.snmp.any()) {
    m.start();
  } else if (m.started && g.snmp.socket != m.socket) {
    m.log.warn("SNMP: snmp_socket changed to {}; the subagent stays connected to {} until "
               "vigild restarts",
               g.snmp.socket, m.socket);
  }
  if (g.snmp.enable_traps && !g.snmp.any())
    m.log.warn("SNMP: enable_traps alone sends no trap: enable_snmp_vrrp, enable_snmp_checker, "
               "enable_snmp_rfcv2 or enable_snmp_rfcv3 choose which");
}

void SnmpAgent::stop() {
  auto& m = *impl_;
  if (!m.started || m.stopped)
    return;
  m.stopped = true;
  m.timer.cancel();
  m.fds.clear();
  // ours to unregister: net-snmp would free its client argument (the logger) at shutdown
  api.snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_to_spdlog, &m.log,
                               1);
  api.snmp_shutdown("vigild");
}

void SnmpAgent::instance_state(const core::config::VrrpInstance& vi, SnmpVrrpState state) {
  auto& m = *impl_;
  if (!m.on(m.settings.vrrp))
    return;
  // keepalived sends the columns without a row index
  Vars v(keepalived({2, 10, 0, 2}));
  v.string(keepalived({2, 3, 1, 2}), vi.name);
  v.integer(keepalived({2, 3, 1, 4}), long(state));
  v.integer(keepalived({2, 3, 1, 5}),
            long(vi.state == core::config::InitialState::master ? SnmpVrrpState::master
                                                                : SnmpVrrpState::backup));
  v.string(router_id_oid, m.router_id);
  m.send("vrrpInstanceStateChange", v);
}

void SnmpAgent::sync_group_state(const std::string& group, SnmpVrrpState state) {
  auto& m = *impl_;
  if (!m.on(m.settings.vrrp))
    return;
  Vars v(keepalived({2, 10, 0, 1}));
  v.string(keepalived({2, 1, 1, 2}), group);
  v.integer(keepalived({2, 1, 1, 3}), long(state));
  v.string(router_id_oid, m.router_id);
  m.send("vrrpSyncGroupStateChange", v);
}

void SnmpAgent::new_master(const core::config::VrrpInstance& vi, int ifindex,
                           const core::IpAddress& address, int reason) {
  auto& m = *impl_;
  if (vi.virtual_ipaddress.empty())
    return;
  const auto idx = oid(ifindex > 0 ? ifindex : 0);
  const auto vrid = oid(vi.virtual_router_id);
  if (m.on(m.settings.rfcv2) && vi.version == 2 && address.is_v4()) {
    Vars v(vrrp_mib({0, 1}));
    v.ipaddress(vrrp_mib({1, 3, 1, 7, idx, vrid}), address); // vrrpOperMasterIpAddr
    m.send("vrrpTrapNewMaster", v);
  }
  if (m.on(m.settings.rfcv3)) {
    const oid version = address.is_v4() ? 1 : 2; // InetVersion
    Vars v(vrrpv3_mib({0, 1}));
    v.octets(vrrpv3_mib({1, 1, 1, 1, 3, idx, vrid, version}), address);
    v.integer(vrrpv3_mib({1, 2, 5, 1, 2, idx, vrid, version}), reason);
    m.send("vrrpv3NewMaster", v);
  }
}

void SnmpAgent::auth_failure(const core::config::VrrpInstance& vi, int ifindex,
                             const core::IpAddress& source, int type) {
  auto& m = *impl_;
  if (!m.on(m.settings.rfcv2) || !source.is_v4())
    return;
  const auto idx = oid(ifindex > 0 ? ifindex : 0);
  const auto vrid = oid(vi.virtual_router_id);
  Vars v(vrrp_mib({0, 2}));
  v.ipaddress(vrrp_mib({1, 5, idx, vrid}), source); // vrrpTrapPacketSrc
  v.integer(vrrp_mib({1, 6, idx, vrid}), type);     // vrrpTrapAuthErrorType
  m.send("vrrpTrapAuthFailure", v);
}

void SnmpAgent::proto_error(const core::config::VrrpInstance& vi, int ifindex, int reason) {
  auto& m = *impl_;
  if (!m.on(m.settings.rfcv3))
    return;
  const oid version = vi.family == core::Family::inet ? 1 : 2;
  Vars v(vrrpv3_mib({0, 2}));
  v.integer(vrrpv3_mib({1, 2, 5, 1, 6, oid(ifindex > 0 ? ifindex : 0), oid(vi.virtual_router_id),
                        version}),
            reason);
  m.send("vrrpv3ProtoError", v);
}

namespace {
/// The virtual server's identity varbinds: virtualServerType, then its group name, fwmark, or
/// address type, address and port; then virtualServerProtocol.
void vs_vars(Vars& v, const core::config::VirtualServer& vs) {
  using core::config::VsKind;
  long type = vs.kind == VsKind::group ? 3 : vs.kind == VsKind::fwmark ? 1 : 2;
  v.integer(keepalived({3, 3, 1, 2}), type);
  if (vs.kind == VsKind::group) {
    v.string(keepalived({3, 3, 1, 3}), vs.group);
  } else if (vs.kind == VsKind::fwmark) {
    v.gauge(keepalived({3, 3, 1, 4}), vs.fwmark);
  } else if (vs.address) {
    v.integer(keepalived({3, 3, 1, 5}), inet_type(*vs.address));
    v.octets(keepalived({3, 3, 1, 6}), *vs.address);
    v.gauge(keepalived({3, 3, 1, 7}), vs.port);
  }
  using core::config::Protocol;
  long proto = vs.protocol == Protocol::tcp ? 1 : vs.protocol == Protocol::udp ? 2 : 3;
  v.integer(keepalived({3, 3, 1, 8}), proto);
}
} // namespace

bool SnmpAgent::checker_traps() const {
  return impl_->on(impl_->settings.checker);
}

void SnmpAgent::real_server(const core::config::VirtualServer& vs,
                            const core::config::RealServer& rs, bool alive, std::size_t up,
                            std::size_t total) {
  auto& m = *impl_;
  if (!m.on(m.settings.checker))
    return;
  Vars v(keepalived({3, 5, 0, 1}));
  v.integer(keepalived({3, 4, 1, 3}), inet_type(rs.address));
  v.octets(keepalived({3, 4, 1, 4}), rs.address);
  v.gauge(keepalived({3, 4, 1, 5}), rs.port);
  v.integer(keepalived({3, 4, 1, 6}), alive ? 1 : 2); // alive(1), dead(2)
  vs_vars(v, vs);
  v.gauge(keepalived({3, 3, 1, 21}), up);
  v.gauge(keepalived({3, 3, 1, 20}), total);
  v.string(router_id_oid, m.router_id);
  m.send("realServerStateChange", v);
}

void SnmpAgent::quorum(const core::config::VirtualServer& vs, bool met, std::size_t up,
                       std::size_t total) {
  auto& m = *impl_;
  if (!m.on(m.settings.checker))
    return;
  Vars v(keepalived({3, 5, 0, 2}));
  vs_vars(v, vs);
  v.integer(keepalived({3, 3, 1, 23}), met ? 1 : 2); // met(1), notMet(2)
  v.gauge(keepalived({3, 3, 1, 22}), vs.quorum);
  v.gauge(keepalived({3, 3, 1, 21}), up);
  v.gauge(keepalived({3, 3, 1, 20}), total);
  v.string(router_id_oid, m.router_id);
  m.send("virtualServerQuorumStateChange", v);
}

void SnmpAgent::state_json(core::Json& j) const {
  const auto& m = *impl_;
  j.begin_object();
  j.key("enabled").value(m.started && !m.stopped);
  j.key("socket").value(m.started ? m.socket : m.settings.socket);
  j.key("connected").value(m.connected);
  if (!m.unavailable.empty())
    j.key("unavailable").value(m.unavailable);
  j.key("traps_sent").value(static_cast<unsigned long long>(m.sent));
  j.key("traps_unsent").value(static_cast<unsigned long long>(m.unsent));
  j.key("by_trap").begin_object();
  for (const auto& [name, n] : m.by_trap)
    j.key(name).value(static_cast<unsigned long long>(n));
  j.end_object();
  j.end_object();
}

} // namespace vigil::daemon
