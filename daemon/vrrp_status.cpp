#include "daemon/vrrp_status.hpp"

#include <algorithm>
#include <chrono>

#include "core/json.hpp"
#include "daemon/trackers.hpp"

namespace vigil::daemon {

namespace {

using core::Clock;

void instance_json(core::Json& j, const Runner& r) {
  const auto& f = r.fsm;
  j.begin_object();
  j.key("name").value(r.name());
  j.key("state").value(vrrp::to_string(f.state()));
  j.key("interface").value(r.cfg.interface.value_or(""));
  j.key("vrid").value(unsigned(r.cfg.virtual_router_id));
  j.key("family").value(r.cfg.family == core::Family::inet ? "inet" : "inet6");
  j.key("version").value(unsigned(r.cfg.version));
  j.key("priority").value(unsigned(f.priority()));
  j.key("configured_priority").value(unsigned(r.cfg.priority));
  j.key("source");
  r.source ? j.value(r.source->to_string()) : j.null();
  j.key("master");
  f.master_address() ? j.value(f.master_address()->to_string()) : j.null();
  j.key("advert_int_s")
      .number_text(core::seconds_text(
          std::chrono::duration_cast<std::chrono::microseconds>(r.cfg.advert_int).count()));
  j.key("master_down_interval_s")
      .number_text(core::seconds_text(
          std::chrono::duration_cast<std::chrono::microseconds>(f.master_down_interval()).count()));
  j.key("vips_present").value(r.vips_present);
  j.key("vips").begin_array();
  for (const auto& a : r.cfg.virtual_ipaddress)
    j.value(a.address.to_string());
  j.end_array();
  j.key("excluded_vips").begin_array();
  for (const auto& a : r.cfg.virtual_ipaddress_excluded)
    j.value(a.address.to_string());
  j.end_array();
  j.key("sync_group");
  r.cfg.sync_group ? j.value(*r.cfg.sync_group) : j.null();
  j.key("track_faults").begin_array();
  for (const auto& f : r.track_faults)
    j.value(f);
  j.end_array();
  j.key("seconds_since_transition")
      .value(std::chrono::duration<double>(Clock::now() - r.last_transition).count());
  const auto& c = f.counters();
  j.key("counters").begin_object();
  j.key("adverts_rx").value(static_cast<unsigned long long>(c.adverts_rx));
  j.key("adverts_tx").value(static_cast<unsigned long long>(c.adverts_tx));
  j.key("priority_zero_rx").value(static_cast<unsigned long long>(c.priority_zero_rx));
  j.key("priority_zero_tx").value(static_cast<unsigned long long>(c.priority_zero_tx));
  j.key("became_master").value(static_cast<unsigned long long>(c.became_master));
  j.key("released_master").value(static_cast<unsigned long long>(c.released_master));
  j.key("drops").begin_object();
  for (std::size_t k = 1; k < c.drops.size(); ++k)
    if (c.drops[k])
      j.key(vrrp::to_string(vrrp::Drop(k))).value(static_cast<unsigned long long>(c.drops[k]));
  j.end_object();
  j.end_object();
  j.key("peers").begin_array();
  for (const auto& [addr, p] : f.peers()) {
    j.begin_object();
    j.key("address").value(addr.to_string());
    j.key("adverts").value(static_cast<unsigned long long>(p.adverts));
    j.key("last_priority").value(unsigned(p.last_priority));
    if (r.cfg.version == 3 && r.cfg.family == core::Family::inet) {
      j.key("checksum_rfc5798_pseudo_header")
          .value(static_cast<unsigned long long>(p.checksum_pseudo_header));
      j.key("checksum_rfc9568_message_only")
          .value(static_cast<unsigned long long>(p.checksum_message_only));
    }
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

} // namespace

void vrrp_state_parts(std::vector<JsonPart>& parts, const Runners& runners,
                      const Trackers& trackers, const core::config::ConfigPtr& config,
                      const DropCounts& unmatched) {
  constexpr std::size_t per_part = 100; // instances
  parts.push_back([](core::Json& j) { j.begin_object().key("instances").begin_array(); });
  // Each part looks the instances up when it runs (a reload may come between two parts).
  const std::size_t n = (runners.size() + per_part - 1) / per_part;
  for (std::size_t k = 0; k < n; ++k)
    parts.push_back([&runners, k](core::Json& j) {
      for (std::size_t i = k * per_part; i < runners.size() && i < (k + 1) * per_part; ++i)
        instance_json(j, *runners[i]);
    });
  parts.push_back([&runners, &trackers, &config, &unmatched](core::Json& j) {
    j.end_array();
    j.key("trackers");
    trackers.state_json(j);
    j.key("sync_groups").begin_array();
    if (config)
      for (const auto& g : config->sync_groups) {
        j.begin_object();
        j.key("name").value(g.name);
        j.key("members").begin_array();
        for (const auto& member : g.group) {
          j.begin_object();
          j.key("name").value(member);
          j.key("state");
          const Runner* found = nullptr;
          for (const auto& r : runners)
            if (r->name() == member)
              found = r.get();
          found ? j.value(vrrp::to_string(found->fsm.state())) : j.null();
          j.end_object();
        }
        j.end_array();
        j.end_object();
      }
    j.end_array();
    // Packets no instance took: undecodable ones and adverts for VRIDs not configured here.
    j.key("unmatched_drops").begin_object();
    for (std::size_t k = 1; k < unmatched.size(); ++k)
      if (unmatched[k])
        j.key(vrrp::to_string(vrrp::Drop(k))).value(static_cast<unsigned long long>(unmatched[k]));
    j.end_object();
    j.end_object();
  });
}

namespace {

using T = core::Metrics::Type;
constexpr std::size_t slice = 250; ///< instances per part

/// One family in parts of `slice` instances (each part looks the runners up when it runs).
template <class F>
void sliced(std::vector<MetricPart>& parts, const Runners& runners, const char* name, T type,
            const char* help, F per_runner) {
  const std::size_t n = std::max<std::size_t>(1, (runners.size() + slice - 1) / slice);
  for (std::size_t k = 0; k < n; ++k)
    parts.push_back([&runners, name, type, help, per_runner, k](core::Metrics& m) {
      if (k == 0)
        m.family(name, type, help);
      for (std::size_t i = k * slice; i < runners.size() && i < (k + 1) * slice; ++i)
        per_runner(m, *runners[i]);
    });
}

double state_value(vrrp::State s) {
  switch (s) {
  case vrrp::State::init:
    return 0.0;
  case vrrp::State::backup:
    return 1.0;
  case vrrp::State::master:
    return 2.0;
  case vrrp::State::fault:
    return 3.0;
  }
  return 0.0;
}

/// As keepalived writes it: 10.0.0.100/24, no prefix for a single address.
std::string vip_text(const core::IpPrefix& p) {
  return p.length == p.address.size() * 8 ? p.address.to_string() : p.to_string();
}

} // namespace

void vrrp_metric_parts(std::vector<MetricPart>& parts, const Runners& runners,
                       const Trackers& trackers, const DropCounts& unmatched) {
  // mehdy/keepalived-exporter's families first (its Grafana dashboard works unchanged):
  // one keepalived_vrrp_state series per VIP, INIT 0 / BACKUP 1 / MASTER 2 / FAULT 3.
  auto vip_states = [&](const char* name, const char* help, bool excluded) {
    sliced(parts, runners, name, T::gauge, help, [excluded](core::Metrics& m, const Runner& r) {
      const auto& list = excluded ? r.cfg.virtual_ipaddress_excluded : r.cfg.virtual_ipaddress;
      const std::string vrid = std::to_string(r.cfg.virtual_router_id);
      const std::string intf = r.cfg.interface.value_or("");
      if (list.empty() && !excluded)
        m.sample({{"iname", r.name()}, {"intf", intf}, {"vrid", vrid}, {"ip_address", ""}},
                 state_value(r.fsm.state()));
      for (const auto& a : list)
        m.sample({{"iname", r.name()},
                  {"intf", a.dev.value_or(intf)},
                  {"vrid", vrid},
                  {"ip_address", vip_text(a.address)}},
                 state_value(r.fsm.state()));
    });
  };
  vip_states("keepalived_vrrp_state", "State of vrrp", false);
  vip_states("keepalived_vrrp_excluded_state", "State of vrrp with excluded VIP", true);
  using C = vrrp::Counters;
  auto counter = [&](const char* name, const char* help, auto get) {
    sliced(parts, runners, name, T::counter, help, [get](core::Metrics& m, const Runner& r) {
      m.sample({{"iname", r.name()},
                {"intf", r.cfg.interface.value_or("")},
                {"vrid", std::to_string(r.cfg.virtual_router_id)}},
               std::uint64_t(get(r, r.fsm.counters())));
    });
  };
  auto drop = [](vrrp::Drop d) {
    return [d](const Runner&, const C& c) { return c.drops[std::size_t(d)]; };
  };
  counter("keepalived_advertisements_received_total", "Advertisements received",
          [](const Runner&, const C& c) { return c.adverts_rx; });
  counter("keepalived_advertisements_sent_total", "Advertisements sent",
          [](const Runner&, const C& c) { return c.adverts_tx; });
  counter("keepalived_become_master_total", "Became master",
          [](const Runner&, const C& c) { return c.became_master; });
  counter("keepalived_release_master_total", "Released master",
          [](const Runner&, const C& c) { return c.released_master; });
  counter("keepalived_packet_length_errors_total", "Packet length errors",
          drop(vrrp::Drop::too_short));
  counter("keepalived_advertisements_interval_errors_total", "Advertisement interval errors",
          drop(vrrp::Drop::interval_mismatch));
  counter("keepalived_ip_ttl_errors_total", "TTL errors", drop(vrrp::Drop::bad_ttl));
  counter("keepalived_invalid_type_received_total", "Invalid type errors",
          drop(vrrp::Drop::bad_type));
  counter("keepalived_address_list_errors_total", "Address list errors",
          drop(vrrp::Drop::address_mismatch));
  // vigil does not tell an unknown auth type from a wrong one or a wrong password: every
  // authentication mismatch is counted here, and the other two stay 0.
  counter("keepalived_authentication_invalid_total", "Authentication invalid",
          [](const Runner&, const C&) { return std::uint64_t(0); });
  counter("keepalived_authentication_mismatch_total", "Authentication mismatch",
          drop(vrrp::Drop::auth_mismatch));
  counter("keepalived_authentication_failure_total", "Authentication failure",
          [](const Runner&, const C&) { return std::uint64_t(0); });
  counter("keepalived_priority_zero_received_total", "Priority zero received",
          [](const Runner&, const C& c) { return c.priority_zero_rx; });
  counter("keepalived_priority_zero_sent_total", "Priority zero sent",
          [](const Runner&, const C& c) { return c.priority_zero_tx; });
  // keepalived reports the configured delay (seconds) under this name, not a count.
  counter(
      "keepalived_gratuitous_arp_delay_total", "Gratuitous ARP delay",
      [](const Runner& r, const C&) {
        return std::uint64_t(
            std::chrono::duration_cast<std::chrono::seconds>(r.cfg.garp.garp_master_delay).count());
      });
  parts.push_back([&trackers](core::Metrics& m) { trackers.metrics(m); });

  // vigil's own
  sliced(parts, runners, "vigil_vrrp_drops_total", T::counter,
         "Adverts an instance dropped, by reason (RFC 9568 7.1 receive checks)",
         [](core::Metrics& m, const Runner& r) {
           for (std::size_t k = 1; k < std::size_t(vrrp::Drop::count_); ++k)
             m.sample({{"iname", r.name()}, {"reason", vrrp::to_string(vrrp::Drop(k))}},
                      r.fsm.counters().drops[k]);
         });
  parts.push_back([&unmatched](core::Metrics& m) {
    m.family("vigil_vrrp_unmatched_drops_total", T::counter,
             "Packets no instance took (undecodable, or for a VRID not configured here)");
    for (std::size_t k = 1; k < unmatched.size(); ++k)
      m.sample({{"reason", vrrp::to_string(vrrp::Drop(k))}}, unmatched[k]);
  });
  sliced(parts, runners, "vigil_vrrp_priority", T::gauge, "Effective priority (after tracking)",
         [](core::Metrics& m, const Runner& r) {
           m.sample({{"iname", r.name()}}, double(r.fsm.priority()));
         });
  sliced(parts, runners, "vigil_vrrp_configured_priority", T::gauge, "Configured priority",
         [](core::Metrics& m, const Runner& r) {
           m.sample({{"iname", r.name()}}, double(r.cfg.priority));
         });
  sliced(parts, runners, "vigil_vrrp_seconds_since_transition", T::gauge,
         "Time since the instance last changed state", [](core::Metrics& m, const Runner& r) {
           m.sample({{"iname", r.name()}},
                    std::chrono::duration<double>(Clock::now() - r.last_transition).count());
         });
  sliced(parts, runners, "vigil_vrrp_vips_present", T::gauge,
         "1 while the instance's VIPs are configured", [](core::Metrics& m, const Runner& r) {
           m.sample({{"iname", r.name()}}, r.vips_present ? 1.0 : 0.0);
         });
  sliced(parts, runners, "vigil_vrrp_peer_adverts_total", T::counter,
         "Adverts received per peer; for VRRPv3 over IPv4, by checksum form (RFC 5798 "
         "pseudo-header or RFC 9568 message only)",
         [](core::Metrics& m, const Runner& r) {
           for (const auto& [addr, p] : r.fsm.peers()) {
             std::string a = addr.to_string();
             if (r.cfg.version == 3 && r.cfg.family == core::Family::inet) {
               m.sample({{"iname", r.name()}, {"peer", a}, {"checksum", "rfc5798_pseudo_header"}},
                        p.checksum_pseudo_header);
               m.sample({{"iname", r.name()}, {"peer", a}, {"checksum", "rfc9568_message_only"}},
                        p.checksum_message_only);
             } else {
               m.sample({{"iname", r.name()}, {"peer", a}, {"checksum", "any"}}, p.adverts);
             }
           }
         });
}

} // namespace vigil::daemon
