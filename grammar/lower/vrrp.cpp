// vrrp_script, track_file, vrrp_sync_group and vrrp_instance, plus their validation.
#include <algorithm>
#include <map>
#include <set>

#include "grammar/lower/lower.hpp"
#include "grammar/lower/registry.hpp"

namespace vigil::grammar::lower {
namespace {

using namespace std::chrono_literals;
using core::config::Config;
using core::config::GlobalDefs;
using core::config::SyncGroup;
using core::config::TrackFile;
using core::config::TrackRef;
using core::config::VrrpInstance;
using core::config::VrrpScript;

// ---------------------------------------------------------------------------------------------
// vrrp_script

struct ScriptDraft {
  explicit ScriptDraft(VrrpScript& script) : s(script) {}
  VrrpScript& s;
  bool timeout_set = false;
  bool have_script = false;
};

const Keyword<ScriptDraft> script_table[] = {
    {"script",
     [](Ctx& c, const Statement& s, ScriptDraft& d) {
       if (auto cmd = c.command(s)) {
         d.s.script = std::move(*cmd);
         d.have_script = true;
       }
     },
     Shape::line, Phase::first, true},
    {"interval",
     [](Ctx& c, const Statement& s, ScriptDraft& d) {
       c.set_seconds(s, d.s.interval, 1ms, 86400s);
     },
     Shape::line, Phase::first, true},
    {"timeout",
     [](Ctx& c, const Statement& s, ScriptDraft& d) {
       c.set_seconds(s, d.s.timeout, 1ms, 86400s);
       d.timeout_set = true;
     },
     Shape::line, Phase::first, true},
    {"weight",
     [](Ctx& c, const Statement& s, ScriptDraft& d) {
       if (!c.args(s, 1, 2))
         return;
       if (auto w = c.integer(s.args[0], "weight", -253, 253))
         d.s.weight = int(*w);
       if (s.args.size() == 2) {
         if (s.args[1].text == "reverse")
           d.s.weight_reverse = true;
         else
           c.error(s.args[1],
                   "'weight' takes 'reverse' after the value, not '" + s.args[1].text + "'");
       }
     },
     Shape::line, Phase::first, true},
    {"rise", [](Ctx& c, const Statement& s, ScriptDraft& d) { c.set(s, d.s.rise, 1, 1000000); },
     Shape::line, Phase::first, true},
    {"fall", [](Ctx& c, const Statement& s, ScriptDraft& d) { c.set(s, d.s.fall, 1, 1000000); },
     Shape::line, Phase::first, true},
    {"user",
     [](Ctx& c, const Statement& s, ScriptDraft& d) {
       if (!c.args(s, 1, 2))
         return;
       core::config::RunAs ra{s.args[0].text, {}};
       if (s.args.size() == 2)
         ra.group = s.args[1].text;
       d.s.script.run_as = std::move(ra);
     },
     Shape::line, Phase::first, true},
    {"init_fail", [](Ctx& c, const Statement& s, ScriptDraft& d) { c.set_flag(s, d.s.init_fail); },
     Shape::line, Phase::first, true},
};

// ---------------------------------------------------------------------------------------------
// track_file

const Keyword<TrackFile> track_file_table[] = {
    {"file", [](Ctx& c, const Statement& s, TrackFile& f) { c.set_string(s, f.file); }, Shape::line,
     Phase::first, true},
    {"weight",
     [](Ctx& c, const Statement& s, TrackFile& f) {
       if (!c.args(s, 1, 2))
         return;
       if (auto w = c.integer(s.args[0], "weight", -254, 254))
         f.weight = int(*w);
       if (s.args.size() == 2) {
         if (s.args[1].text == "reverse")
           f.weight_reverse = true;
         else
           c.error(s.args[1], "'weight' takes 'reverse' after the value");
       }
     },
     Shape::line, Phase::first, true},
    {"init_file",
     [](Ctx& c, const Statement& s, TrackFile& f) {
       if (!c.args(s, 0, 2))
         return;
       f.init_file_value = 0;
       for (const Word& a : s.args) {
         if (a.text == "overwrite")
           f.init_file_overwrite = true;
         else if (auto v = c.integer(a, "init_file", -2147483648LL, 2147483647LL))
           f.init_file_value = long(*v);
       }
     },
     Shape::line, Phase::first, true},
};

// ---------------------------------------------------------------------------------------------
// track_* blocks shared by instances and sync groups

void track_list(Ctx& c, const Statement& s, std::vector<TrackRef>& out, int limit) {
  if (!s.args.empty())
    c.error(s.args[0], "'" + s.keyword.text + "' takes its entries in the block");
  for (const Statement& line : s.children) {
    if (line.has_block) {
      c.no_block(line);
      continue;
    }
    TrackRef r;
    r.name = line.keyword.text;
    r.where = c.where(line.keyword);
    bool ok = true;
    for (std::size_t i = 0; i < line.args.size(); ++i) {
      const Word& a = line.args[i];
      if (a.text == "weight") {
        if (i + 1 >= line.args.size()) {
          c.error(a, "'weight' needs a value");
          ok = false;
          break;
        }
        if (auto w = c.integer(line.args[++i], "weight", -limit, limit))
          r.weight = int(*w);
        else
          ok = false;
      } else if (a.text == "reverse") {
        r.reverse = true;
      } else if (a.text == "noreverse" || a.text == "no_reverse") {
        r.reverse = false;
      } else {
        c.error(a, "unknown option '" + a.text + "' in '" + s.keyword.text + "'",
                "entries are NAME [weight N] [reverse|noreverse]");
        ok = false;
      }
    }
    if (ok)
      out.push_back(std::move(r));
  }
}

void set_notify(Ctx& c, const Statement& s, std::optional<core::config::Command>& field) {
  c.set_command(s, field);
}

// ---------------------------------------------------------------------------------------------
// vrrp_sync_group

struct GroupDraft {
  SyncGroup& g;
  std::optional<bool> smtp_alert;
};

const Keyword<GroupDraft> group_table[] = {
    {"group",
     [](Ctx& c, const Statement& s, GroupDraft& d) {
       d.g.group = c.word_list(s);
       for (const Statement& line : s.children)
         d.g.member_where.push_back(c.where(line.keyword));
       if (d.g.group.empty())
         c.error(s.keyword, "sync group 'group' block is empty");
     },
     Shape::block, Phase::first, true},
    {"track_interface",
     [](Ctx& c, const Statement& s, GroupDraft& d) {
       track_list(c, s, d.g.trackers.track_interface, 253);
     },
     Shape::block, Phase::first, true},
    {"track_script",
     [](Ctx& c, const Statement& s, GroupDraft& d) {
       track_list(c, s, d.g.trackers.track_script, 253);
     },
     Shape::block, Phase::first, true},
    {"track_file",
     [](Ctx& c, const Statement& s, GroupDraft& d) {
       track_list(c, s, d.g.trackers.track_file, 254);
     },
     Shape::block, Phase::first, true},
    {"notify_master",
     [](Ctx& c, const Statement& s, GroupDraft& d) { set_notify(c, s, d.g.notify.notify_master); },
     Shape::line, Phase::first, true},
    {"notify_backup",
     [](Ctx& c, const Statement& s, GroupDraft& d) { set_notify(c, s, d.g.notify.notify_backup); },
     Shape::line, Phase::first, true},
    {"notify_fault",
     [](Ctx& c, const Statement& s, GroupDraft& d) { set_notify(c, s, d.g.notify.notify_fault); },
     Shape::line, Phase::first, true},
    {"notify_stop",
     [](Ctx& c, const Statement& s, GroupDraft& d) { set_notify(c, s, d.g.notify.notify_stop); },
     Shape::line, Phase::first, true},
    {"notify",
     [](Ctx& c, const Statement& s, GroupDraft& d) { set_notify(c, s, d.g.notify.notify); },
     Shape::line, Phase::first, true},
    {"notify_priority_changes",
     [](Ctx& c, const Statement& s, GroupDraft& d) {
       c.set_flag(s, d.g.notify.notify_priority_changes);
     },
     Shape::line, Phase::first, true},
    {"smtp_alert", [](Ctx& c, const Statement& s, GroupDraft& d) { c.set_flag(s, d.smtp_alert); },
     Shape::line, Phase::first, true},
};

// ---------------------------------------------------------------------------------------------
// vrrp_instance

struct InstanceDraft {
  InstanceDraft(VrrpInstance& inst, const GlobalDefs& globals) : v(inst), g(globals) {}
  VrrpInstance& v;
  const GlobalDefs& g;
  std::optional<std::uint8_t> version;
  const Word* version_at = nullptr;
  std::optional<Micros> advert_int;
  const Word* advert_at = nullptr;
  std::optional<bool> accept;
  std::optional<bool> strict;
  std::optional<bool> skip_check_adv_addr;
  std::optional<bool> lower_prio_no_advert;
  std::optional<bool> higher_prio_send_advert;
  std::optional<bool> check_unicast_src;
  std::optional<bool> v3_checksum_as_v2;
  std::optional<bool> smtp_alert;
  std::optional<std::uint32_t> down_timer_adverts;
  std::optional<core::IpAddress> mcast_dst_ip;
  const Word* mcast_dst_at = nullptr;
  bool native_ipv6 = false;
  bool vrid_set = false;
  const Word* state_at = nullptr;
  const Word* nopreempt_at = nullptr;
  const Word* preempt_delay_at = nullptr;
  const Word* auth_at = nullptr;
  const Word* src_at = nullptr;
  const Word* vips_at = nullptr;
  const Word* vmac_at = nullptr;
  bool vmac_five = false; ///< use_vmac MAC given with 5 octets: the VRID completes it
  std::vector<const Word*> peer_at;
};

std::optional<std::array<std::uint8_t, 6>> parse_mac(const std::string& t, std::uint8_t vrid,
                                                     bool& five) {
  std::array<std::uint8_t, 6> mac{};
  std::size_t n = 0;
  std::size_t i = 0;
  while (i <= t.size() && n < 6) {
    std::size_t j = t.find(':', i);
    if (j == std::string::npos)
      j = t.size();
    std::string part = t.substr(i, j - i);
    if (part.empty() || part.size() > 2)
      return std::nullopt;
    unsigned v = 0;
    for (char ch : part) {
      if (!std::isxdigit(static_cast<unsigned char>(ch)))
        return std::nullopt;
      v = v * 16 + unsigned(std::isdigit(static_cast<unsigned char>(ch))
                                ? ch - '0'
                                : std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10);
    }
    mac[n++] = std::uint8_t(v);
    i = j + 1;
    if (j == t.size())
      break;
  }
  if (i <= t.size())
    return std::nullopt; // more than six parts
  five = n == 5;
  if (n == 5)
    mac[5] = vrid;
  else if (n != 6)
    return std::nullopt;
  return mac;
}

void lower_vips(Ctx& c, const Statement& s, std::vector<core::config::AddressSpec>& out) {
  if (!s.args.empty())
    c.error(s.args[0], "'" + s.keyword.text + "' takes its entries in the block");
  for (const Statement& line : s.children)
    if (auto a = lower_address(c, line, LineUse::virtual_))
      out.push_back(std::move(*a));
}

const Keyword<InstanceDraft> instance_table[] = {
    {"state",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       const std::string& t = s.args[0].text;
       if (t == "MASTER")
         d.v.state = core::config::InitialState::master;
       else if (t == "BACKUP")
         d.v.state = core::config::InitialState::backup;
       else
         c.error(s.args[0], "'state' must be MASTER or BACKUP, not '" + t + "'");
       d.state_at = &s.keyword;
     },
     Shape::line, Phase::first, true},
    {"interface",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       const std::string& n = s.args[0].text;
       if (n.size() > 15)
         c.error(s.args[0], "interface name '" + n + "' is longer than 15 characters");
       else
         d.v.interface = n;
     },
     Shape::line, Phase::first, true},
    {"use_vmac",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!c.args(s, 0, 2))
         return;
       core::config::Vmac vm = d.v.use_vmac.value_or(core::config::Vmac{});
       for (const Word& a : s.args) {
         bool five = false;
         if (a.text.find(':') != std::string::npos) {
           auto mac = parse_mac(a.text, 0, five);
           if (!mac) {
             c.error(a, "'" + a.text + "' is not a MAC address");
             continue;
           }
           vm.mac = *mac;
           d.vmac_five = five;
         } else if (a.text.size() > 15) {
           c.error(a, "VMAC interface name '" + a.text + "' is longer than 15 characters");
         } else {
           vm.name = a.text;
         }
       }
       d.v.use_vmac = std::move(vm);
       d.vmac_at = &s.keyword;
     },
     Shape::line, Phase::first, true},
    {"vmac_xmit_base",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!c.args(s, 0, 0))
         return;
       if (!d.v.use_vmac)
         d.v.use_vmac = core::config::Vmac{};
       d.v.use_vmac->xmit_base = true;
     },
     Shape::line, Phase::first, true},
    {"native_ipv6",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!c.args(s, 0, 0))
         return;
       c.warning(s.keyword, "'native_ipv6' is deprecated: the family follows virtual_ipaddress");
       d.native_ipv6 = true;
     },
     Shape::line, Phase::first, true},
    {"dont_track_primary",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.v.dont_track_primary); },
     Shape::line, Phase::first, true},
    {"track_interface",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       track_list(c, s, d.v.trackers.track_interface, 253);
     },
     Shape::block, Phase::first, true},
    {"track_script",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       track_list(c, s, d.v.trackers.track_script, 253);
     },
     Shape::block, Phase::first, true},
    {"track_file",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       track_list(c, s, d.v.trackers.track_file, 254);
     },
     Shape::block, Phase::first, true},
    {"mcast_src_ip",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_ip(s, d.v.src_ip);
       d.src_at = s.args.empty() ? &s.keyword : &s.args[0];
     },
     Shape::line, Phase::first, true},
    {"unicast_src_ip",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_ip(s, d.v.src_ip);
       d.src_at = s.args.empty() ? &s.keyword : &s.args[0];
       d.v.unicast_configured = true;
     },
     Shape::line, Phase::first, true},
    {"mcast_dst_ip",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       std::optional<core::IpAddress> a;
       c.set_ip(s, a);
       if (a && !a->is_multicast())
         c.error(s.args[0], "'mcast_dst_ip' must be a multicast address");
       else if (a)
         d.mcast_dst_ip = a, d.mcast_dst_at = &s.args[0];
     },
     Shape::line, Phase::first, true},
    {"track_src_ip",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.v.track_src_ip); },
     Shape::line, Phase::first, true},
    {"version",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       std::uint8_t v = 0;
       std::size_t before = c.error_count();
       c.set(s, v, 2, 3);
       if (c.error_count() == before)
         d.version = v, d.version_at = &s.args[0];
     },
     Shape::line, Phase::first, true},
    {"check_unicast_src",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.check_unicast_src); },
     Shape::line, Phase::first, true},
    {"unicast_peer",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!s.args.empty())
         c.error(s.args[0], "'unicast_peer' takes its addresses in the block");
       d.v.unicast_configured = true;
       for (const Statement& line : s.children) {
         if (line.has_block) {
           c.no_block(line);
           continue;
         }
         auto a = c.ip(line.keyword, "unicast_peer");
         if (!a)
           continue;
         core::config::UnicastPeer p{*a, {}, {}};
         for (std::size_t i = 0; i < line.args.size(); ++i) {
           const Word& o = line.args[i];
           if ((o.text == "min_ttl" || o.text == "max_ttl") && i + 1 < line.args.size()) {
             if (auto n = c.integer(line.args[++i], o.text, 0, 255))
               (o.text == "min_ttl" ? p.min_ttl : p.max_ttl) = std::uint8_t(*n);
           } else {
             c.error(o, "unknown unicast_peer option '" + o.text + "'",
                     "entries are IP [min_ttl N] [max_ttl N]");
           }
         }
         if (std::any_of(d.v.unicast_peer.begin(), d.v.unicast_peer.end(),
                         [&](const auto& q) { return q.address == p.address; })) {
           c.error(line.keyword, "unicast peer " + a->to_string() + " is listed twice");
           continue;
         }
         d.v.unicast_peer.push_back(p);
         d.peer_at.push_back(&line.keyword);
       }
     },
     Shape::block, Phase::first, true},
    {"unicast_fault_no_peer",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_flag(s, d.v.unicast_fault_no_peer);
       d.v.unicast_configured = true;
     },
     Shape::line, Phase::first, true},
    {"unicast_ttl",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set(s, d.v.unicast_ttl, 1, 255); },
     Shape::line, Phase::first, true},
    {"garp_master_delay",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_seconds(s, d.v.garp.garp_master_delay, 0s, 86400s);
     },
     Shape::line, Phase::first, true},
    {"garp_master_repeat",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set(s, d.v.garp.garp_master_repeat, 1, 255);
     },
     Shape::line, Phase::first, true},
    {"garp_lower_prio_delay",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_seconds(s, d.v.garp.garp_lower_prio_delay, 0s, 86400s);
     },
     Shape::line, Phase::first, true},
    {"garp_lower_prio_repeat",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set(s, d.v.garp.garp_lower_prio_repeat, 0, 255);
     },
     Shape::line, Phase::first, true},
    {"garp_master_refresh",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_seconds(s, d.v.garp.garp_master_refresh, 0s, 86400s);
     },
     Shape::line, Phase::first, true},
    {"garp_master_refresh_repeat",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set(s, d.v.garp.garp_master_refresh_repeat, 1, 255);
     },
     Shape::line, Phase::first, true},
    {"down_timer_adverts",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       std::uint32_t v = 0;
       std::size_t before = c.error_count();
       c.set(s, v, 1, 100);
       if (c.error_count() == before)
         d.down_timer_adverts = v;
     },
     Shape::line, Phase::first, true},
    {"lower_prio_no_advert",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.lower_prio_no_advert); },
     Shape::line, Phase::first, true},
    {"higher_prio_send_advert",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.higher_prio_send_advert); },
     Shape::line, Phase::first, true},
    {"v3_checksum_as_v2",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.v3_checksum_as_v2); },
     Shape::line, Phase::first, true},
    {"virtual_router_id",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       std::size_t before = c.error_count();
       c.set(s, d.v.virtual_router_id, 1, 255);
       d.vrid_set = c.error_count() == before;
     },
     Shape::line, Phase::first, true},
    {"priority",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set(s, d.v.priority, 1, 255); },
     Shape::line, Phase::first, true},
    {"advert_int",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       std::optional<Micros> v;
       c.set_seconds(s, v, 10ms, 255s);
       if (v)
         d.advert_int = v, d.advert_at = &s.args[0];
     },
     Shape::line, Phase::first, true},
    {"authentication",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!s.args.empty())
         c.error(s.args[0], "'authentication' takes no arguments");
       d.auth_at = &s.keyword;
       bool have_type = false;
       bool have_pass = false;
       for (const Statement& line : s.children) {
         if (line.keyword.text == "auth_type") {
           if (!c.args(line, 1, 1))
             continue;
           const std::string& t = line.args[0].text;
           if (t == "PASS")
             d.v.auth_type = core::config::AuthType::pass;
           else if (t == "AH") {
             d.v.auth_type = core::config::AuthType::ah;
           } else
             c.error(line.args[0], "'auth_type' must be PASS or AH, not '" + t + "'");
           have_type = true;
         } else if (line.keyword.text == "auth_pass") {
           if (!c.args(line, 1, 1))
             continue;
           d.v.auth_pass = line.args[0].text;
           if (d.v.auth_pass.size() > 8) {
             c.warning(line.args[0], "'auth_pass' is longer than 8 characters; only '" +
                                         d.v.auth_pass.substr(0, 8) + "' is used, as on the wire");
             d.v.auth_pass.resize(8);
           }
           if (d.v.auth_pass.empty())
             c.error(line.args[0], "'auth_pass' is empty");
           have_pass = true;
         } else {
           static constexpr std::string_view names[] = {"auth_type", "auth_pass"};
           unknown_keyword(c, line, "authentication", names);
         }
       }
       if (!have_type)
         c.error(s.keyword, "'authentication' needs 'auth_type PASS|AH'");
       if (have_type && !have_pass)
         c.error(s.keyword, "'authentication' needs 'auth_pass'");
     },
     Shape::block, Phase::first, true},
    {"virtual_ipaddress",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       lower_vips(c, s, d.v.virtual_ipaddress);
       d.vips_at = &s.keyword;
     },
     Shape::block, Phase::first, true},
    {"virtual_ipaddress_excluded",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       lower_vips(c, s, d.v.virtual_ipaddress_excluded);
     },
     Shape::block, Phase::first, true},
    {"no_virtual_ipaddress",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.v.no_virtual_ipaddress); },
     Shape::line, Phase::first, true},
    {"promote_secondaries",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.v.promote_secondaries); }},
    {"virtual_routes",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       for (const Statement& line : s.children)
         if (auto r = lower_route(c, line, LineUse::virtual_))
           d.v.virtual_routes.push_back(*r);
     },
     Shape::block, Phase::first, true},
    {"virtual_rules",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       for (const Statement& line : s.children)
         if (auto r = lower_rule(c, line, LineUse::virtual_))
           d.v.virtual_rules.push_back(*r);
     },
     Shape::block, Phase::first, true},
    {"accept",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (c.args(s, 0, 0))
         d.accept = true;
     },
     Shape::line, Phase::first, true},
    {"no_accept",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (c.args(s, 0, 0))
         d.accept = false;
     }},
    {"nopreempt",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (!c.args(s, 0, 0))
         return;
       d.v.preempt = false;
       d.nopreempt_at = &s.keyword;
     },
     Shape::line, Phase::first, true},
    {"preempt",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (c.args(s, 0, 0))
         d.v.preempt = true;
     },
     Shape::line, Phase::first, true},
    {"preempt_delay",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_seconds(s, d.v.preempt_delay, 0s, 1000s);
       d.preempt_delay_at = &s.keyword;
     },
     Shape::line, Phase::first, true},
    {"skip_check_adv_addr",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.skip_check_adv_addr); },
     Shape::line, Phase::first, true},
    {"strict_mode", [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.strict); }},
    {"debug", [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set(s, d.v.debug, 0, 4); },
     Shape::line, Phase::first, true},
    {"notify_master",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       set_notify(c, s, d.v.notify.notify_master);
     },
     Shape::line, Phase::first, true},
    {"notify_backup",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       set_notify(c, s, d.v.notify.notify_backup);
     },
     Shape::line, Phase::first, true},
    {"notify_fault",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       set_notify(c, s, d.v.notify.notify_fault);
     },
     Shape::line, Phase::first, true},
    {"notify_stop",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { set_notify(c, s, d.v.notify.notify_stop); },
     Shape::line, Phase::first, true},
    {"notify_deleted",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       if (s.args.empty())
         d.v.notify.notify_deleted = core::config::Command{};
       else
         set_notify(c, s, d.v.notify.notify_deleted);
     },
     Shape::line, Phase::first, true},
    {"notify",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { set_notify(c, s, d.v.notify.notify); },
     Shape::line, Phase::first, true},
    {"notify_master_rx_lower_pri",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       set_notify(c, s, d.v.notify.notify_master_rx_lower_pri);
     }},
    {"notify_priority_changes",
     [](Ctx& c, const Statement& s, InstanceDraft& d) {
       c.set_flag(s, d.v.notify.notify_priority_changes);
     },
     Shape::line, Phase::first, true},
    {"smtp_alert",
     [](Ctx& c, const Statement& s, InstanceDraft& d) { c.set_flag(s, d.smtp_alert); }, Shape::line,
     Phase::first, true},
};

void resolve_instance(Ctx& c, const Statement& s, InstanceDraft& d) {
  VrrpInstance& v = d.v;
  const GlobalDefs& g = d.g;
  if (!d.vrid_set)
    c.error(s.keyword, "vrrp_instance '" + v.name + "' has no 'virtual_router_id'");

  // Family: from the advertised addresses, else from unicast peers or the source address.
  std::optional<core::Family> family;
  if (!v.virtual_ipaddress.empty())
    family = v.virtual_ipaddress.front().address.address.family();
  if (!family && !v.unicast_peer.empty())
    family = v.unicast_peer.front().address.family();
  if (!family && v.src_ip)
    family = v.src_ip->family();
  if (d.native_ipv6) {
    if (family && *family != core::Family::inet6)
      c.error(s.keyword, "'native_ipv6' with IPv4 addresses in vrrp_instance '" + v.name + "'");
    family = core::Family::inet6;
  }
  v.family = family.value_or(core::Family::inet);
  bool v6 = v.family == core::Family::inet6;

  // Version: v6 is always VRRPv3.
  if (d.version) {
    v.version = *d.version;
    if (v6 && v.version == 2)
      c.error(*d.version_at, "IPv6 needs VRRP version 3 (vrrp_instance '" + v.name + "')");
  } else {
    v.version = v6 ? 3 : g.vrrp_version;
  }

  // advert_int: v2 in whole seconds 1..255, v3 in centiseconds 0.01..40.95 (RFC 5798 5.2.7).
  if (d.advert_int) {
    auto us = d.advert_int->count();
    if (v.version == 2) {
      if (us % 1'000'000 != 0)
        c.error(*d.advert_at, "VRRPv2 'advert_int' is whole seconds (1..255)",
                "use 'version 3' for sub-second intervals");
      else
        v.advert_int = *d.advert_int;
    } else if (us % 10'000 != 0 || us > 40'950'000) {
      c.error(*d.advert_at, "VRRPv3 'advert_int' must be 0.01..40.95 seconds in steps of 0.01");
    } else {
      v.advert_int = *d.advert_int;
    }
  }

  bool strict = d.strict.value_or(g.vrrp_strict);
  v.strict_mode = strict;
  v.accept = d.accept.value_or(!strict);
  v.skip_check_adv_addr = d.skip_check_adv_addr.value_or(g.vrrp_skip_check_adv_addr);
  v.lower_prio_no_advert = d.lower_prio_no_advert.value_or(g.vrrp_lower_prio_no_advert || strict);
  v.higher_prio_send_advert = d.higher_prio_send_advert.value_or(g.vrrp_higher_prio_send_advert);
  v.check_unicast_src = d.check_unicast_src.value_or(g.vrrp_check_unicast_src);
  for (const auto& p : v.unicast_peer)
    if (p.min_ttl || p.max_ttl)
      v.check_unicast_src = true;
  v.v3_checksum = d.v3_checksum_as_v2.value_or(g.v3_checksum_as_v2)
                      ? core::config::V3Checksum::message_only
                      : core::config::V3Checksum::with_pseudo_header;
  v.down_timer_adverts = d.down_timer_adverts.value_or(g.vrrp_down_timer_adverts);
  v.notify.smtp_alert = d.smtp_alert.value_or(g.smtp_alert_vrrp || g.smtp_alert);
  v.mcast_dst_ip = d.mcast_dst_ip.value_or(v6 ? g.vrrp_mcast_group6 : g.vrrp_mcast_group4);
  if (d.mcast_dst_ip && d.mcast_dst_ip->family() != v.family)
    c.error(*d.mcast_dst_at, "'mcast_dst_ip' family differs from the instance's addresses");
  if (v.use_vmac && d.vmac_five && v.use_vmac->mac)
    (*v.use_vmac->mac)[5] = v.virtual_router_id;

  if (v.src_ip && v.src_ip->family() != v.family)
    c.error(*d.src_at,
            "source address " + v.src_ip->to_string() + " is not of the instance's address family");
  for (std::size_t i = 0; i < v.unicast_peer.size(); ++i)
    if (v.unicast_peer[i].address.family() != v.family)
      c.error(*d.peer_at[i], "unicast peer " + v.unicast_peer[i].address.to_string() +
                                 " is not of the instance's address family");
  if (!v.interface && !v.unicast_configured)
    c.error(s.keyword, "vrrp_instance '" + v.name + "' has no 'interface'",
            "only unicast instances may omit it");
  if (!v.interface && v.unicast_configured)
    c.error(s.keyword, "vrrp_instance '" + v.name + "' has no 'interface'",
            "vigil needs the interface of unicast instances too");
  if (v.unicast_configured && v.unicast_peer.empty() && !v.unicast_fault_no_peer)
    c.warning(s.keyword,
              "vrrp_instance '" + v.name +
                  "' has unicast settings but no unicast_peer: it uses multicast",
              "add 'unicast_fault_no_peer' to go to FAULT instead");
  if (v.use_vmac && !v.unicast_peer.empty() && !v.use_vmac->xmit_base)
    c.error(*d.vmac_at, "'use_vmac' with unicast peers needs 'vmac_xmit_base'");

  if (v.virtual_ipaddress.empty() && !v.no_virtual_ipaddress && !d.vips_at)
    c.warning(s.keyword, "vrrp_instance '" + v.name + "' has no virtual_ipaddress",
              "add 'no_virtual_ipaddress' if that is intended");
  if (v6 && !v.virtual_ipaddress.empty() &&
      !v.virtual_ipaddress.front().address.address.is_link_local())
    c.warning(d.vips_at ? *d.vips_at : s.keyword,
              "the first IPv6 virtual address should be link-local (RFC 9568 5.2.9)");

  if (v.auth_type != core::config::AuthType::none) {
    if (v.version == 3)
      c.error(*d.auth_at, "'authentication' is VRRPv2 only; VRRPv3 (RFC 5798) has none");
    if (strict)
      c.error(*d.auth_at, "strict mode forbids 'authentication'");
  }
  if (strict) {
    if (!v.unicast_peer.empty())
      c.error(*d.peer_at.front(),
              "strict mode forbids unicast peers (vrrp_instance '" + v.name + "')");
    if (v.virtual_ipaddress.empty())
      c.error(s.keyword, "strict mode needs at least one virtual_ipaddress");
    if (v.virtual_ipaddress.size() > 20)
      c.error(s.keyword, "strict mode allows at most 20 virtual_ipaddress entries");
  }
  if (v.virtual_ipaddress.size() > 255)
    c.error(*d.vips_at, "an advert carries at most 255 addresses; move the others to "
                        "virtual_ipaddress_excluded");
  if (!v.preempt && v.state == core::config::InitialState::master)
    c.warning(*d.nopreempt_at, "'nopreempt' has no effect with 'state MASTER'",
              "use 'state BACKUP' on every node for nopreempt to hold");
  if (v.preempt_delay.count() != 0 && v.state == core::config::InitialState::master)
    c.warning(*d.preempt_delay_at, "'preempt_delay' has no effect with 'state MASTER'");
  if (v.priority == 255 && v.state == core::config::InitialState::backup && d.state_at)
    c.warning(*d.state_at, "priority 255 (address owner) always starts as MASTER");
}

void check_vip_family(Ctx& c, const Statement& s, const VrrpInstance& v) {
  if (v.virtual_ipaddress.empty())
    return;
  auto f = v.virtual_ipaddress.front().address.address.family();
  for (const auto& a : v.virtual_ipaddress)
    if (a.address.address.family() != f) {
      (void)s;
      c.error(a.where,
              "virtual_ipaddress of '" + v.name + "' mixes IPv4 and IPv6 (" +
                  a.address.to_string() + ")",
              "advertised addresses share one family; move the others to "
              "virtual_ipaddress_excluded");
      return;
    }
}

std::string quoted_name(const Statement& s, std::string_view block, Ctx& c) {
  if (s.args.empty()) {
    c.error(s.keyword, "'" + std::string(block) + "' needs a name");
    return {};
  }
  if (s.args.size() > 1)
    c.error(s.args[1], "'" + std::string(block) + "' takes one name");
  return s.args[0].text;
}

} // namespace

void lower_vrrp_script(Ctx& c, const Statement& s, Config& cfg) {
  VrrpScript vs;
  vs.name = quoted_name(s, "vrrp_script", c);
  vs.where = c.where(s.keyword);
  ScriptDraft d(vs);
  lower_block<ScriptDraft>(c, s, script_table, d, "vrrp_script");
  if (!d.have_script)
    c.error(s.keyword, "vrrp_script '" + vs.name + "' has no 'script'");
  if (!d.timeout_set)
    vs.timeout = vs.interval;
  cfg.vrrp_scripts.push_back(std::move(vs));
}

void lower_track_file(Ctx& c, const Statement& s, Config& cfg) {
  if (s.keyword.text == "vrrp_track_file")
    c.warning(s.keyword, "'vrrp_track_file' is deprecated; use 'track_file'");
  TrackFile f;
  f.name = quoted_name(s, s.keyword.text, c);
  f.where = c.where(s.keyword);
  lower_block<TrackFile>(c, s, track_file_table, f, "track_file");
  if (f.file.empty())
    c.error(s.keyword, "track_file '" + f.name + "' has no 'file'");
  cfg.track_files.push_back(std::move(f));
}

void lower_sync_group(Ctx& c, const Statement& s, Config& cfg) {
  SyncGroup g;
  g.name = quoted_name(s, "vrrp_sync_group", c);
  g.where = c.where(s.keyword);
  GroupDraft d{g, {}};
  lower_block<GroupDraft>(c, s, group_table, d, "vrrp_sync_group");
  g.notify.smtp_alert =
      d.smtp_alert.value_or(cfg.global_defs.smtp_alert_vrrp || cfg.global_defs.smtp_alert);
  cfg.sync_groups.push_back(std::move(g));
}

void lower_vrrp_instance(Ctx& c, const Statement& s, Config& cfg) {
  VrrpInstance v;
  v.name = quoted_name(s, "vrrp_instance", c);
  v.where = c.where(s.keyword);
  v.garp = cfg.global_defs.garp;
  InstanceDraft d(v, cfg.global_defs);
  lower_block<InstanceDraft>(c, s, instance_table, d, "vrrp_instance");
  check_vip_family(c, s, v);
  resolve_instance(c, s, d);
  cfg.vrrp_instances.push_back(std::move(v));
}

void validate_vrrp(Ctx& c, Config& cfg) {
  auto unique_names = [&](auto& items, std::string_view what) {
    std::map<std::string, const core::config::Where*, std::less<>> seen;
    for (const auto& it : items) {
      auto [pos, fresh] = seen.emplace(it.name, &it.where);
      if (!fresh)
        c.error((it.where), std::string(what) + " '" + it.name + "' is defined twice",
                "first defined at " + c.describe(*pos->second));
    }
  };
  unique_names(cfg.vrrp_scripts, "vrrp_script");
  unique_names(cfg.track_files, "track_file");
  unique_names(cfg.sync_groups, "vrrp_sync_group");
  unique_names(cfg.vrrp_instances, "vrrp_instance");

  auto check_refs = [&](const core::config::Trackers& t, bool in_group) {
    for (const auto& r : t.track_script) {
      const VrrpScript* sc = cfg.find_script(r.name);
      if (!sc)
        c.error((r.where), "track_script '" + r.name + "' is not a defined vrrp_script");
    }
    for (const auto& r : t.track_file)
      if (!cfg.find_track_file(r.name))
        c.error((r.where), "track_file '" + r.name + "' is not a defined track_file");
    (void)in_group;
  };

  // Duplicate virtual routers: same VRID, family, interface and transport (RFC 5798 the VRID is
  // unique per LAN; keepalived also keys on unicast vs multicast and the multicast group).
  struct Key {
    std::uint8_t vrid;
    core::Family family;
    std::string interface;
    bool unicast;
    core::IpAddress group;
    auto operator<=>(const Key&) const = default;
  };
  std::map<Key, const VrrpInstance*> routers;
  for (auto& v : cfg.vrrp_instances) {
    check_refs(v.trackers, false);
    if (v.virtual_router_id == 0)
      continue;
    Key k{v.virtual_router_id, v.family, v.interface.value_or(""), !v.unicast_peer.empty(),
          v.unicast_peer.empty() ? v.mcast_dst_ip : core::IpAddress{}};
    auto [it, fresh] = routers.emplace(k, &v);
    if (!fresh) {
      // Unicast instances may share a VRID when their peer sets do not overlap.
      bool overlap = !k.unicast;
      for (const auto& p : v.unicast_peer)
        for (const auto& q : it->second->unicast_peer)
          if (p.address == q.address)
            overlap = true;
      if (overlap)
        c.error((v.where),
                "vrrp_instance '" + v.name + "' uses virtual_router_id " +
                    std::to_string(v.virtual_router_id) + " on " + k.interface + " like '" +
                    it->second->name + "'",
                "'" + it->second->name + "' is at " + c.describe(it->second->where));
    }
  }

  std::map<std::string, std::string> member_of;
  for (auto& g : cfg.sync_groups) {
    check_refs(g.trackers, true);
    if (g.group.size() == 1)
      c.warning((g.where), "vrrp_sync_group '" + g.name + "' has only one member");
    for (std::size_t mi = 0; mi < g.group.size(); ++mi) {
      const std::string& m = g.group[mi];
      const core::config::Where& at = mi < g.member_where.size() ? g.member_where[mi] : g.where;
      auto it = std::find_if(cfg.vrrp_instances.begin(), cfg.vrrp_instances.end(),
                             [&](const VrrpInstance& v) { return v.name == m; });
      if (it == cfg.vrrp_instances.end()) {
        c.error(at,
                "vrrp_sync_group '" + g.name + "' lists '" + m + "', which is not a vrrp_instance");
        continue;
      }
      auto [prev, fresh] = member_of.emplace(m, g.name);
      if (!fresh) {
        c.error(at, "vrrp_instance '" + m + "' is in two sync groups ('" + prev->second +
                        "' and '" + g.name + "')");
        continue;
      }
      it->sync_group = g.name;
    }
  }

  if (cfg.global_defs.lvs_sync_daemon && cfg.global_defs.lvs_sync_daemon->instance &&
      !cfg.find_instance(*cfg.global_defs.lvs_sync_daemon->instance))
    c.error(cfg.global_defs.lvs_sync_daemon->where, "lvs_sync_daemon names '" +
                                                        *cfg.global_defs.lvs_sync_daemon->instance +
                                                        "', which is not a vrrp_instance");
}

void list_vrrp_keywords(std::vector<KeywordHome>& out) {
  list_names(script_table, "vrrp_script", out);
  list_names(track_file_table, "track_file", out);
  list_names(group_table, "vrrp_sync_group", out);
  list_names(instance_table, "vrrp_instance", out);
  out.emplace_back("auth_type", "authentication");
  out.emplace_back("auth_pass", "authentication");
}

} // namespace vigil::grammar::lower
