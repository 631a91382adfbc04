// global_defs { ... }
#include "grammar/lower/lower.hpp"
#include "grammar/lower/registry.hpp"

namespace vigil::grammar::lower {
namespace {

using core::config::GlobalDefs;
using core::config::NotifyFifo;
using namespace std::chrono_literals;

/// global_defs plus which inherited settings were written explicitly.
struct Draft {
  GlobalDefs& g;
  bool lower_prio_delay_set = false;
  bool lower_prio_repeat_set = false;
  bool master_delay_set = false;
  bool master_repeat_set = false;
};

constexpr Micros max_delay = std::chrono::hours(24);

void set_fifo(Ctx& c, const Statement& s, std::optional<NotifyFifo>& fifo) {
  if (!c.args(s, 1, 3))
    return;
  NotifyFifo f = fifo.value_or(NotifyFifo{});
  f.path = s.args[0].text;
  if (f.path.empty() || f.path[0] != '/') {
    c.error(s.args[0], "'" + s.keyword.text + "' needs an absolute path");
    return;
  }
  if (s.args.size() > 1) {
    f.owner = core::config::RunAs{s.args[1].text, {}};
    if (s.args.size() > 2)
      f.owner->group = s.args[2].text;
  }
  fifo = std::move(f);
}

void set_fifo_script(Ctx& c, const Statement& s, std::optional<NotifyFifo>& fifo) {
  auto cmd = c.command(s);
  if (!cmd)
    return;
  if (!fifo)
    fifo = NotifyFifo{};
  fifo->script = std::move(*cmd);
}

void set_mcast_group(Ctx& c, const Statement& s, core::IpAddress& field, core::Family family) {
  if (!c.args(s, 1, 1))
    return;
  auto a = c.ip(s.args[0], s.keyword.text);
  if (!a)
    return;
  if (a->family() != family || !a->is_multicast()) {
    c.error(s.args[0], "'" + s.keyword.text + "' must be an " +
                           (family == core::Family::inet ? "IPv4" : "IPv6") + " multicast address");
    return;
  }
  if (family == core::Family::inet6 && (a->data()[1] & 0x0f) != 2) {
    c.error(s.args[0], "'" + s.keyword.text + "' must be a link-local multicast group (ffX2::)");
    return;
  }
  field = *a;
}

void lvs_sync_daemon(Ctx& c, const Statement& s, Draft& d) {
  if (!c.args(s, 1, SIZE_MAX))
    return;
  core::config::LvsSyncDaemon sd;
  sd.interface = s.args[0].text;
  sd.where = c.where(s.keyword);
  std::size_t i = 1;
  bool ok = true;
  auto value = [&](const Word& opt) -> const Word* {
    if (i >= s.args.size()) {
      c.error(opt, "'" + opt.text + "' needs a value");
      ok = false;
      return nullptr;
    }
    return &s.args[i++];
  };
  while (i < s.args.size()) {
    const Word& opt = s.args[i++];
    if (opt.text == "inst") {
      if (auto v = value(opt))
        sd.instance = v->text;
    } else if (opt.text == "id") {
      if (auto v = value(opt)) {
        if (auto n = c.integer(*v, "id", 0, 255))
          sd.id = std::uint8_t(*n);
        else
          ok = false;
      }
    } else if (opt.text == "maxlen") {
      if (auto v = value(opt)) {
        if (auto n = c.integer(*v, "maxlen", 1, 65507))
          sd.maxlen = std::uint16_t(*n);
        else
          ok = false;
      }
    } else if (opt.text == "port") {
      if (auto v = value(opt)) {
        if (auto n = c.integer(*v, "port", 1, 65535))
          sd.port = std::uint16_t(*n);
        else
          ok = false;
      }
    } else if (opt.text == "ttl") {
      if (auto v = value(opt)) {
        if (auto n = c.integer(*v, "ttl", 1, 255))
          sd.ttl = std::uint8_t(*n);
        else
          ok = false;
      }
    } else if (opt.text == "group") {
      if (auto v = value(opt)) {
        if (auto a = c.ip(*v, "group"))
          sd.group = *a;
        else
          ok = false;
      }
    } else if (i == 2 && !sd.instance) {
      sd.instance = opt.text; // `inst` may be omitted before the instance name
    } else {
      c.error(opt, "unknown lvs_sync_daemon option '" + opt.text + "'",
              "options are inst, id, maxlen, port, ttl, group");
      ok = false;
    }
  }
  if (ok)
    d.g.lvs_sync_daemon = std::move(sd);
}

void lvs_timeouts(Ctx& c, const Statement& s, Draft& d) {
  if (!c.args(s, 2, 6))
    return;
  for (std::size_t i = 0; i < s.args.size(); i += 2) {
    const Word& opt = s.args[i];
    std::optional<std::uint32_t>* field = opt.text == "tcp"      ? &d.g.lvs_timeouts.tcp
                                          : opt.text == "tcpfin" ? &d.g.lvs_timeouts.tcpfin
                                          : opt.text == "udp"    ? &d.g.lvs_timeouts.udp
                                                                 : nullptr;
    if (field == nullptr) {
      c.error(opt, "unknown lvs_timeouts option '" + opt.text + "'", "use tcp, tcpfin or udp");
      continue;
    }
    if (i + 1 >= s.args.size()) {
      c.error(opt, "'" + opt.text + "' needs a number of seconds");
      break;
    }
    if (auto n = c.integer(s.args[i + 1], opt.text, 1, 86400 * 31))
      *field = std::uint32_t(*n);
  }
}

const Keyword<Draft> table[] = {
    {"router_id", [](Ctx& c, const Statement& s, Draft& d) { c.set_string(s, d.g.router_id); },
     Shape::line, Phase::first, true},
    {"lvs_id",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.warning(s.keyword, "'lvs_id' is the old name of 'router_id'");
       c.set_string(s, d.g.router_id);
     },
     Shape::line, Phase::first, true},
    {"notification_email",
     [](Ctx& c, const Statement& s, Draft& d) { d.g.notification_email = c.word_list(s); },
     Shape::block, Phase::first, true},
    {"notification_email_from",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_string(s, d.g.notification_email_from); },
     Shape::line, Phase::first, true},
    {"smtp_server",
     [](Ctx& c, const Statement& s, Draft& d) {
       if (!c.args(s, 1, 2))
         return;
       core::config::SmtpServer srv;
       srv.host = s.args[0].text;
       if (s.args.size() == 2) {
         auto p = c.integer(s.args[1], "smtp_server port", 1, 65535);
         if (!p)
           return;
         srv.port = std::uint16_t(*p);
       }
       d.g.smtp_server = std::move(srv);
     },
     Shape::line, Phase::first, true},
    {"smtp_helo_name",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_string(s, d.g.smtp_helo_name); }, Shape::line,
     Phase::first, true},
    {"smtp_connect_timeout",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set_seconds(s, d.g.smtp_connect_timeout, 1s, 3600s);
     },
     Shape::line, Phase::first, true},
    {"smtp_alert", [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.smtp_alert); },
     Shape::line, Phase::first, true},
    {"smtp_alert_vrrp",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.smtp_alert_vrrp); }, Shape::line,
     Phase::first, true},
    {"smtp_alert_checker",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.smtp_alert_checker); },
     Shape::line, Phase::first, true},
    {"no_email_faults",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.no_email_faults); }, Shape::line,
     Phase::first, true},
    {"enable_traps",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.snmp.enable_traps); },
     Shape::line, Phase::first, true},
    {"enable_snmp_vrrp",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.snmp.vrrp); }, Shape::line,
     Phase::first, true},
    {"enable_snmp_keepalived",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.warning(s.keyword, "'enable_snmp_keepalived' is the old name of 'enable_snmp_vrrp'");
       c.set_flag(s, d.g.snmp.vrrp);
     },
     Shape::line, Phase::first, true},
    {"enable_snmp_checker",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.snmp.checker); }, Shape::line,
     Phase::first, true},
    {"enable_snmp_rfc",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set_flag(s, d.g.snmp.rfcv2);
       d.g.snmp.rfcv3 = d.g.snmp.rfcv2;
     },
     Shape::line, Phase::first, true},
    {"enable_snmp_rfcv2",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.snmp.rfcv2); }, Shape::line,
     Phase::first, true},
    {"enable_snmp_rfcv3",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.snmp.rfcv3); }, Shape::line,
     Phase::first, true},
    {"snmp_socket",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_string(s, d.g.snmp.socket); },
     Shape::line, Phase::first, true},
    {"checker_log_all_failures",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.checker_log_all_failures); },
     Shape::line, Phase::first, true},
    {"script_user",
     [](Ctx& c, const Statement& s, Draft& d) {
       if (!c.args(s, 1, 2))
         return;
       core::config::RunAs ra{s.args[0].text, {}};
       if (s.args.size() == 2)
         ra.group = s.args[1].text;
       d.g.script_user = std::move(ra);
     },
     Shape::line, Phase::first, true},
    {"data_use_instance",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.data_use_instance); },
     Shape::line, Phase::first, true},
    {"enable_script_security",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.enable_script_security); },
     Shape::line, Phase::first, true},
    {"default_interface",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_string(s, d.g.default_interface); },
     Shape::line, Phase::first, true},
    {"vrrp_version", [](Ctx& c, const Statement& s, Draft& d) { c.set(s, d.g.vrrp_version, 2, 3); },
     Shape::line, Phase::first, true},
    {"vrrp_mcast_group4",
     [](Ctx& c, const Statement& s, Draft& d) {
       set_mcast_group(c, s, d.g.vrrp_mcast_group4, core::Family::inet);
     },
     Shape::line, Phase::first, true},
    {"vrrp_mcast_group6",
     [](Ctx& c, const Statement& s, Draft& d) {
       set_mcast_group(c, s, d.g.vrrp_mcast_group6, core::Family::inet6);
     },
     Shape::line, Phase::first, true},
    {"vrrp_garp_master_delay",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set_seconds(s, d.g.garp.garp_master_delay, 0s, max_delay);
       d.master_delay_set = true;
     },
     Shape::line, Phase::first, true},
    {"vrrp_garp_master_repeat",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set(s, d.g.garp.garp_master_repeat, 1, 255);
       d.master_repeat_set = true;
     },
     Shape::line, Phase::first, true},
    {"vrrp_garp_lower_prio_delay",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set_seconds(s, d.g.garp.garp_lower_prio_delay, 0s, max_delay);
       d.lower_prio_delay_set = true;
     },
     Shape::line, Phase::first, true},
    {"vrrp_garp_lower_prio_repeat",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set(s, d.g.garp.garp_lower_prio_repeat, 0, 255);
       d.lower_prio_repeat_set = true;
     },
     Shape::line, Phase::first, true},
    {"vrrp_garp_master_refresh",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set_seconds(s, d.g.garp.garp_master_refresh, 0s, max_delay);
     },
     Shape::line, Phase::first, true},
    {"vrrp_garp_master_refresh_repeat",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set(s, d.g.garp.garp_master_refresh_repeat, 1, 255);
     },
     Shape::line, Phase::first, true},
    {"vrrp_garp_interval",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_seconds(s, d.g.vrrp_garp_interval, 0s, 1s); },
     Shape::line, Phase::first, true},
    {"vrrp_gna_interval",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_seconds(s, d.g.vrrp_gna_interval, 0s, 1s); },
     Shape::line, Phase::first, true},
    {"vrrp_min_garp",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.vrrp_min_garp); }, Shape::line,
     Phase::first, true},
    {"vrrp_skip_check_adv_addr",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.vrrp_skip_check_adv_addr); },
     Shape::line, Phase::first, true},
    {"vrrp_strict", [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.vrrp_strict); }},
    {"vrrp_check_unicast_src",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.vrrp_check_unicast_src); },
     Shape::line, Phase::first, true},
    {"vrrp_higher_prio_send_advert",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.vrrp_higher_prio_send_advert); },
     Shape::line, Phase::first, true},
    {"vrrp_lower_prio_no_advert",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.vrrp_lower_prio_no_advert); },
     Shape::line, Phase::first, true},
    {"v3_checksum_as_v2",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.v3_checksum_as_v2); },
     Shape::line, Phase::first, true},
    {"vrrp_down_timer_adverts",
     [](Ctx& c, const Statement& s, Draft& d) { c.set(s, d.g.vrrp_down_timer_adverts, 1, 100); },
     Shape::line, Phase::first, true},
    {"vrrp_startup_delay",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.set_seconds(s, d.g.vrrp_startup_delay, 0s, 3600s);
     },
     Shape::line, Phase::first, true},
    {"vrrp_notify_priority_changes",
     [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.vrrp_notify_priority_changes); },
     Shape::line, Phase::first, true},
    {"notify_fifo", [](Ctx& c, const Statement& s, Draft& d) { set_fifo(c, s, d.g.notify_fifo); },
     Shape::line, Phase::first, true},
    {"notify_fifo_script",
     [](Ctx& c, const Statement& s, Draft& d) { set_fifo_script(c, s, d.g.notify_fifo); },
     Shape::line, Phase::first, true},
    {"vrrp_notify_fifo",
     [](Ctx& c, const Statement& s, Draft& d) { set_fifo(c, s, d.g.vrrp_notify_fifo); },
     Shape::line, Phase::first, true},
    {"vrrp_notify_fifo_script",
     [](Ctx& c, const Statement& s, Draft& d) { set_fifo_script(c, s, d.g.vrrp_notify_fifo); },
     Shape::line, Phase::first, true},
    {"lvs_notify_fifo",
     [](Ctx& c, const Statement& s, Draft& d) { set_fifo(c, s, d.g.lvs_notify_fifo); }, Shape::line,
     Phase::first, true},
    {"lvs_notify_fifo_script",
     [](Ctx& c, const Statement& s, Draft& d) { set_fifo_script(c, s, d.g.lvs_notify_fifo); },
     Shape::line, Phase::first, true},
    {"lvs_sync_daemon", lvs_sync_daemon, Shape::line, Phase::first, true},
    {"lvs_flush", [](Ctx& c, const Statement& s, Draft& d) { c.set_flag(s, d.g.lvs_flush); },
     Shape::line, Phase::first, true},
    {"lvs_flush_on_stop",
     [](Ctx& c, const Statement& s, Draft& d) {
       if (!c.args(s, 0, 1))
         return;
       if (!s.args.empty() && s.args[0].text != "VS") {
         c.error(s.args[0], "'lvs_flush_on_stop' takes no argument or 'VS'");
         return;
       }
       d.g.lvs_flush_on_stop =
           s.args.empty() ? core::config::FlushOnStop::all : core::config::FlushOnStop::services;
     },
     Shape::line, Phase::first, true},
    {"lvs_flush_onstop",
     [](Ctx& c, const Statement& s, Draft& d) {
       c.warning(s.keyword, "'lvs_flush_onstop' is deprecated; use 'lvs_flush_on_stop'");
       bool on = false;
       c.set_flag(s, on);
       d.g.lvs_flush_on_stop =
           on ? core::config::FlushOnStop::all : core::config::FlushOnStop::none;
     },
     Shape::line, Phase::first, true},
    {"lvs_timeouts", lvs_timeouts, Shape::line, Phase::first, true},
    {"max_auto_priority",
     [](Ctx& c, const Statement& s, Draft& d) {
       if (!c.args(s, 0, 1))
         return;
       int v = 0;
       if (!s.args.empty()) {
         auto n = c.integer(s.args[0], "max_auto_priority", -1, 99);
         if (!n)
           return;
         v = int(*n);
       }
       d.g.max_auto_priority = v;
       c.warning(s.keyword,
                 "'max_auto_priority' is accepted and has no effect: vigil runs one thread "
                 "that never blocks, and raises no real-time priority");
     },
     Shape::line, Phase::first, true},
};

} // namespace

void lower_global_defs(Ctx& c, const Statement& s, GlobalDefs& g) {
  if (!s.args.empty())
    c.error(s.args[0], "'global_defs' takes no arguments");
  g.where = c.where(s.keyword);
  Draft d{g};
  lower_block<Draft>(c, s, table, d, "global_defs");
  if (!d.lower_prio_delay_set)
    g.garp.garp_lower_prio_delay = g.garp.garp_master_delay;
  if (!d.lower_prio_repeat_set)
    g.garp.garp_lower_prio_repeat = g.garp.garp_master_repeat;
  if (g.vrrp_min_garp) {
    if (!d.master_repeat_set)
      g.garp.garp_master_repeat = 1;
    if (!d.master_delay_set)
      g.garp.garp_master_delay = Micros{0};
    if (!d.lower_prio_repeat_set)
      g.garp.garp_lower_prio_repeat = 1;
    if (!d.lower_prio_delay_set)
      g.garp.garp_lower_prio_delay = Micros{0};
  }
}

void list_global_keywords(std::vector<KeywordHome>& out) {
  list_names(table, "global_defs", out);
}

} // namespace vigil::grammar::lower
