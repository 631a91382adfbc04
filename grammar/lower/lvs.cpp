// virtual_server_group, virtual_server, real_server, the checkers and SSL, plus validation.
// Settings flow down: virtual server -> real server -> checker; the loader resolves them so
// every checker in the model carries its effective values.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "core/regex.hpp"
#include "grammar/lower/lower.hpp"
#include "grammar/lower/registry.hpp"

namespace vigil::grammar::lower {
namespace {

using namespace std::chrono_literals;
using core::config::Checker;
using core::config::CheckerKind;
using core::config::Config;
using core::config::Forwarding;
using core::config::RealServer;
using core::config::UrlSpec;
using core::config::VirtualServer;

/// Settings a virtual server passes to its real servers and a real server to its checkers.
struct Inherit {
  std::optional<Micros> delay_loop;
  std::optional<Micros> connect_timeout;
  std::optional<Micros> delay_before_retry;
  std::optional<Micros> warmup;
  std::optional<std::uint32_t> retry;
  std::optional<bool> alpha;
  std::optional<bool> inhibit_on_failure;
  std::optional<bool> smtp_alert;
  std::optional<std::string> virtualhost;

  /// This level's values, falling back to `parent`'s.
  Inherit over(const Inherit& parent) const {
    Inherit r = *this;
    if (!r.delay_loop)
      r.delay_loop = parent.delay_loop;
    if (!r.connect_timeout)
      r.connect_timeout = parent.connect_timeout;
    if (!r.delay_before_retry)
      r.delay_before_retry = parent.delay_before_retry;
    if (!r.warmup)
      r.warmup = parent.warmup;
    if (!r.retry)
      r.retry = parent.retry;
    if (!r.alpha)
      r.alpha = parent.alpha;
    if (!r.inhibit_on_failure)
      r.inhibit_on_failure = parent.inhibit_on_failure;
    if (!r.smtp_alert)
      r.smtp_alert = parent.smtp_alert;
    if (!r.virtualhost)
      r.virtualhost = parent.virtualhost;
    return r;
  }
};

constexpr Micros max_timer = std::chrono::hours(24);

/// The inheritable keywords, shared by the three levels' tables.
template <class D> void set_inherit(Ctx& c, const Statement& s, D& d) {
  Inherit& in = d.inherit;
  const std::string& k = s.keyword.text;
  if (k == "delay_loop")
    c.set_seconds(s, in.delay_loop, 1ms, max_timer);
  else if (k == "connect_timeout")
    c.set_seconds(s, in.connect_timeout, 1ms, max_timer);
  else if (k == "delay_before_retry")
    c.set_seconds(s, in.delay_before_retry, 0s, max_timer);
  else if (k == "warmup")
    c.set_seconds(s, in.warmup, 0s, max_timer);
  else if (k == "retry" || k == "nb_get_retry") {
    std::uint32_t v = 0;
    std::size_t before = c.error_count();
    c.set(s, v, 0, 1000000);
    if (c.error_count() == before)
      in.retry = v;
  } else if (k == "alpha")
    c.set_flag(s, in.alpha);
  else if (k == "inhibit_on_failure")
    c.set_flag(s, in.inhibit_on_failure);
  else if (k == "smtp_alert")
    c.set_flag(s, in.smtp_alert);
  else if (k == "virtualhost")
    c.set_string(s, in.virtualhost);
}

std::optional<Forwarding> forwarding(Ctx& c, const Statement& s) {
  if (!c.args(s, 1, 6))
    return std::nullopt;
  Forwarding f;
  const std::string& m = s.args[0].text;
  if (m == "NAT")
    f.method = core::config::LvsMethod::nat;
  else if (m == "DR")
    f.method = core::config::LvsMethod::dr;
  else if (m == "TUN")
    f.method = core::config::LvsMethod::tun;
  else {
    c.error(s.args[0], "'" + s.keyword.text + "' must be NAT, DR or TUN, not '" + m + "'");
    return std::nullopt;
  }
  for (std::size_t i = 1; i < s.args.size(); ++i) {
    const Word& a = s.args[i];
    if (f.method != core::config::LvsMethod::tun) {
      c.error(a, "options after '" + m + "' apply to TUN only");
      return std::nullopt;
    }
    if (a.text == "type" && i + 1 < s.args.size()) {
      const std::string& t = s.args[++i].text;
      if (t == "ipip")
        f.tunnel_type = core::config::TunnelType::ipip;
      else if (t == "gre")
        f.tunnel_type = core::config::TunnelType::gre;
      else if (t == "gue") {
        f.tunnel_type = core::config::TunnelType::gue;
        if (i + 2 < s.args.size() && s.args[i + 1].text == "port") {
          auto p = c.integer(s.args[i + 2], "port", 1, 65535);
          if (!p)
            return std::nullopt;
          f.tunnel_port = std::uint16_t(*p);
          i += 2;
        } else {
          c.error(s.args[i], "tunnel type 'gue' needs 'port N'");
          return std::nullopt;
        }
      } else {
        c.error(s.args[i], "tunnel type must be ipip, gue or gre, not '" + t + "'");
        return std::nullopt;
      }
    } else if (a.text == "nocsum" || a.text == "csum" || a.text == "remcsum") {
      f.tunnel_csum = a.text == "nocsum" ? core::config::TunnelCsum::nocsum
                      : a.text == "csum" ? core::config::TunnelCsum::csum
                                         : core::config::TunnelCsum::remcsum;
    } else {
      c.error(a, "unknown tunnel option '" + a.text + "'");
      return std::nullopt;
    }
  }
  if (f.tunnel_csum != core::config::TunnelCsum::nocsum &&
      f.tunnel_type == core::config::TunnelType::ipip) {
    c.error(s.args[0], "tunnel checksum options need 'type gue' or 'type gre'");
    return std::nullopt;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// url { } and checkers

std::optional<std::vector<core::config::StatusRange>> status_codes(Ctx& c, const Statement& s) {
  if (!c.args(s, 1, SIZE_MAX))
    return std::nullopt;
  std::vector<core::config::StatusRange> out;
  for (const Word& a : s.args) {
    auto dash = a.text.find('-');
    Word first = a;
    first.text = a.text.substr(0, dash);
    auto lo = c.integer(first, "status_code", 100, 599);
    if (!lo)
      return std::nullopt;
    long long hi = *lo;
    if (dash != std::string::npos) {
      Word last = a;
      last.text = a.text.substr(dash + 1);
      auto h = c.integer(last, "status_code", 100, 599);
      if (!h)
        return std::nullopt;
      if (*h < *lo) {
        c.error(a, "status code range '" + a.text + "' ends before it starts");
        return std::nullopt;
      }
      hi = *h;
    }
    out.push_back({std::uint16_t(*lo), std::uint16_t(hi)});
  }
  return out;
}

const Keyword<UrlSpec> url_table[] = {
    {"path", [](Ctx& c, const Statement& s, UrlSpec& u) { c.set_string(s, u.path); }},
    {"digest",
     [](Ctx& c, const Statement& s, UrlSpec& u) {
       if (!c.args(s, 1, 1))
         return;
       std::string d = s.args[0].text;
       bool hex = d.size() == 32 && std::all_of(d.begin(), d.end(), [](char ch) {
                    return std::isxdigit(static_cast<unsigned char>(ch));
                  });
       if (!hex) {
         c.error(s.args[0], "'digest' must be 32 hexadecimal digits (an MD5 from genhash)");
         return;
       }
       std::transform(d.begin(), d.end(), d.begin(),
                      [](unsigned char ch) { return char(std::tolower(ch)); });
       u.digest = d;
     }},
    {"status_code",
     [](Ctx& c, const Statement& s, UrlSpec& u) {
       if (auto v = status_codes(c, s))
         u.status_code = std::move(*v);
     }},
    {"virtualhost", [](Ctx& c, const Statement& s, UrlSpec& u) { c.set_string(s, u.virtualhost); }},
    {"regex", [](Ctx& c, const Statement& s, UrlSpec& u) { c.set_string(s, u.regex); }},
    {"regex_no_match",
     [](Ctx& c, const Statement& s, UrlSpec& u) { c.set_flag(s, u.regex_no_match); }},
    {"regex_options",
     [](Ctx& c, const Statement& s, UrlSpec& u) {
       if (!c.args(s, 1, SIZE_MAX))
         return;
       // PCRE2 option names keepalived accepts; those vigil's engine has no equivalent for are
       // refused by name rather than ignored.
       static constexpr std::string_view others[] = {"allow_empty_class",
                                                     "alt_bsux",
                                                     "auto_callout",
                                                     "dollar_endonly",
                                                     "dupnames",
                                                     "firstline",
                                                     "match_unset_backref",
                                                     "never_ucp",
                                                     "never_utf",
                                                     "no_auto_possess",
                                                     "no_dotstar_anchor",
                                                     "no_start_optimize",
                                                     "ucp",
                                                     "ungreedy",
                                                     "utf",
                                                     "never_backslash_c",
                                                     "alt_circumflex",
                                                     "alt_verbnames",
                                                     "use_offset_limit"};
       for (const Word& w : s.args) {
         const std::string& o = w.text;
         if (o == "caseless")
           u.regex_options.caseless = true;
         else if (o == "multiline")
           u.regex_options.multiline = true;
         else if (o == "dotall")
           u.regex_options.dotall = true;
         else if (o == "extended")
           u.regex_options.extended = true;
         else if (o == "no_auto_capture")
           u.regex_options.no_auto_capture = true;
         else if (std::find(std::begin(others), std::end(others), o) != std::end(others))
           c.error(w, "regex option '" + o + "' is a PCRE2 feature vigil does not support",
                   "vigil supports caseless, multiline, dotall, extended and no_auto_capture");
         else
           c.error(w, "unknown regex option '" + o + "'",
                   "vigil supports caseless, multiline, dotall, extended and no_auto_capture");
       }
     }},
    {"regex_min_offset",
     [](Ctx& c, const Statement& s, UrlSpec& u) { c.set(s, u.regex_min_offset, 0, 0x7FFFFFFF); }},
    {"regex_max_offset",
     [](Ctx& c, const Statement& s, UrlSpec& u) {
       if (!c.args(s, 1, 1))
         return;
       if (auto v = c.integer(s.args[0], "regex_max_offset", 0, 0x7FFFFFFF))
         u.regex_max_offset = std::uint32_t(*v);
     }},
};

struct CheckerDraft {
  Checker& k;
  Inherit inherit;
  bool have_misc_path = false;
  std::vector<Checker> hosts; ///< SMTP_CHECK `host { }` blocks (only their connect options)
};

bool only_for(Ctx& c, const Statement& s, const CheckerDraft& d,
              std::initializer_list<CheckerKind> kinds) {
  if (std::find(kinds.begin(), kinds.end(), d.k.kind) != kinds.end())
    return true;
  std::string list;
  for (auto it = kinds.begin(); it != kinds.end(); ++it)
    list += std::string(it == kinds.begin()            ? ""
                        : std::next(it) == kinds.end() ? " and "
                                                       : ", ") +
            core::config::checker_keyword(*it);
  c.error(s.keyword,
          "'" + s.keyword.text + "' is not valid in " + core::config::checker_keyword(d.k.kind),
          "it applies to " + list);
  return false;
}

constexpr std::initializer_list<CheckerKind> http_kinds{CheckerKind::http_get,
                                                        CheckerKind::ssl_get};
constexpr std::initializer_list<CheckerKind> connecting_kinds{
    CheckerKind::http_get,  CheckerKind::ssl_get,   CheckerKind::tcp_check, CheckerKind::smtp_check,
    CheckerKind::dns_check, CheckerKind::udp_check, CheckerKind::ping_check};
/// Every checker but FILE_CHECK takes the scheduling options (keepalived.conf(5)).
constexpr std::initializer_list<CheckerKind> scheduled_kinds{
    CheckerKind::http_get,   CheckerKind::ssl_get,    CheckerKind::tcp_check,
    CheckerKind::smtp_check, CheckerKind::misc_check, CheckerKind::dns_check,
    CheckerKind::udp_check,  CheckerKind::ping_check};

void set_scheduling(Ctx& c, const Statement& s, CheckerDraft& d) {
  if (only_for(c, s, d, scheduled_kinds))
    set_inherit(c, s, d);
}

/// keepalived's free-form hex (UDP_CHECK payload / require_reply): each word is read two
/// digits at a time, a lone last digit is one byte ("Ab12f 3" is AB 12 0F 03). With
/// `wildcards`, x/X is a digit whose four bits are not compared (`mask` gets 0 there).
bool hex_bytes(Ctx& c, const Statement& s, bool wildcards, std::vector<std::uint8_t>& bytes,
               std::vector<std::uint8_t>& mask) {
  for (const Word& w : s.args) {
    const std::string& t = w.text;
    for (std::size_t i = 0; i < t.size(); i += 2) {
      std::uint8_t value = 0, m = 0;
      std::size_t n = std::min<std::size_t>(2, t.size() - i);
      for (std::size_t k = 0; k < n; ++k) {
        char ch = t[i + k];
        unsigned nib = 0, nm = 0xF;
        if (std::isxdigit(static_cast<unsigned char>(ch)))
          nib = unsigned(std::isdigit(static_cast<unsigned char>(ch))
                             ? ch - '0'
                             : std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10);
        else if (wildcards && (ch == 'x' || ch == 'X'))
          nm = 0;
        else {
          c.error(w, std::string("'") + ch + "' is not a hexadecimal digit" +
                         (wildcards ? " or x" : ""));
          return false;
        }
        value = std::uint8_t((value << 4) | nib);
        m = std::uint8_t((m << 4) | nm);
      }
      bytes.push_back(value);
      mask.push_back(m);
    }
  }
  return true;
}

// Where a checker connects from and to: the common options, and those of SMTP_CHECK's `host`.
void set_connect_ip(Ctx& c, const Statement& s, CheckerDraft& d) {
  if (only_for(c, s, d, connecting_kinds))
    c.set_ip(s, d.k.connect_ip);
}
void set_connect_port(Ctx& c, const Statement& s, CheckerDraft& d) {
  if (!only_for(c, s, d, connecting_kinds) || !c.args(s, 1, 1))
    return;
  if (auto p = c.integer(s.args[0], "connect_port", 1, 65535))
    d.k.connect_port = std::uint16_t(*p);
}
void set_bindto(Ctx& c, const Statement& s, CheckerDraft& d) {
  if (only_for(c, s, d, connecting_kinds))
    c.set_ip(s, d.k.bindto);
}
void set_bind_port(Ctx& c, const Statement& s, CheckerDraft& d) {
  if (!only_for(c, s, d, connecting_kinds) || !c.args(s, 1, 1))
    return;
  if (auto p = c.integer(s.args[0], "bind_port", 1, 65535))
    d.k.bind_port = std::uint16_t(*p);
}
void set_bind_if(Ctx& c, const Statement& s, CheckerDraft& d) {
  if (only_for(c, s, d, connecting_kinds))
    c.set_string(s, d.k.bind_if);
}
void set_fwmark(Ctx& c, const Statement& s, CheckerDraft& d) {
  if (!only_for(c, s, d, connecting_kinds) || !c.args(s, 1, 1))
    return;
  if (auto v = c.integer(s.args[0], "fwmark", 0, 0xFFFFFFFFLL))
    d.k.fwmark = std::uint32_t(*v);
}

const Keyword<CheckerDraft> smtp_host_table[] = {
    {"connect_ip", set_connect_ip}, {"connect_port", set_connect_port}, {"bindto", set_bindto},
    {"bind_port", set_bind_port},   {"bind_if", set_bind_if},           {"fwmark", set_fwmark},
};

const Keyword<CheckerDraft> checker_table[] = {
    {"connect_ip", set_connect_ip},
    {"connect_port", set_connect_port},
    {"bindto", set_bindto},
    {"bind_port", set_bind_port},
    {"bind_if", set_bind_if},
    {"fwmark", set_fwmark},
    {"host",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       // keepalived's legacy SMTP_CHECK sub-block: one more target with its own connect
       // options. vigil checks each as a plain SMTP_CHECK (keepalived 2.2.7's host checks time
       // out against servers its plain check accepts).
       if (!only_for(c, s, d, {CheckerKind::smtp_check}))
         return;
       if (!s.args.empty())
         c.error(s.args[0], "'host' takes no arguments");
       Checker target;
       target.kind = CheckerKind::smtp_check;
       target.where = c.where(s.keyword);
       CheckerDraft hd{target, {}, false, {}};
       lower_block<CheckerDraft>(c, s, smtp_host_table, hd, "host", TableActs::all);
       d.hosts.push_back(std::move(target));
     },
     Shape::block},
    {"connect_timeout", set_scheduling},
    {"retry", set_scheduling},
    {"nb_get_retry",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, http_kinds))
         return;
       c.warning(s.keyword, "'nb_get_retry' is deprecated; use 'retry'");
       set_inherit(c, s, d);
     }},
    {"delay_before_retry", set_scheduling},
    {"warmup", set_scheduling},
    {"delay_loop", set_scheduling},
    {"alpha", set_scheduling},
    {"log_all_failures",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, scheduled_kinds))
         c.set_flag(s, d.k.log_all_failures);
     }},
    {"type",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, {CheckerKind::dns_check}) || !c.args(s, 1, 1))
         return;
       static constexpr std::pair<std::string_view, std::uint16_t> types[] = {
           {"A", 1},    {"NS", 2},    {"CNAME", 5},  {"SOA", 6},    {"MX", 15},
           {"TXT", 16}, {"AAAA", 28}, {"RRSIG", 46}, {"DNSKEY", 48}};
       std::string t = s.args[0].text;
       std::transform(t.begin(), t.end(), t.begin(),
                      [](unsigned char ch) { return char(std::toupper(ch)); });
       for (const auto& [n, v] : types)
         if (t == n) {
           d.k.dns_type = v;
           return;
         }
       c.error(s.args[0], "DNS_CHECK 'type' must be A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG or "
                          "DNSKEY, not '" +
                              s.args[0].text + "'");
     }},
    {"name",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, {CheckerKind::dns_check}) || !c.args(s, 1, 1))
         return;
       const std::string& n = s.args[0].text;
       // RFC 1035 2.3.4: labels of 1..63 bytes, 255 bytes in all.
       bool ok = n.size() <= 253 || (n.size() == 254 && n.back() == '.');
       std::size_t label = 0;
       for (std::size_t i = 0; ok && i < n.size(); ++i) {
         if (n[i] == '.') {
           ok = label > 0 || (i == 0 && n.size() == 1);
           label = 0;
         } else {
           ok = ++label <= 63;
         }
       }
       if (!ok) {
         c.error(s.args[0], "'" + n + "' is not a domain name (labels of 1 to 63 bytes)");
         return;
       }
       d.k.dns_name = n;
     }},
    {"payload",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, {CheckerKind::udp_check}) || !c.args(s, 1, SIZE_MAX))
         return;
       std::vector<std::uint8_t> bytes, mask;
       if (hex_bytes(c, s, false, bytes, mask))
         d.k.udp_payload = std::move(bytes);
     }},
    {"require_reply",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, {CheckerKind::udp_check}))
         return;
       d.k.require_reply = true;
       d.k.reply_pattern.clear();
       d.k.reply_mask.clear();
       hex_bytes(c, s, true, d.k.reply_pattern, d.k.reply_mask);
     }},
    {"min_reply_length",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, {CheckerKind::udp_check}))
         c.set(s, d.k.min_reply_length, 0, 65535);
     }},
    {"max_reply_length",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, {CheckerKind::udp_check}))
         c.set(s, d.k.max_reply_length, 0, 65535);
     }},
    {"track_file",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, {CheckerKind::file_check}))
         c.set_string(s, d.k.track_file);
     }},
    {"weight",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, {CheckerKind::file_check}) || !c.args(s, 1, 2))
         return;
       auto w = c.integer(s.args[0], "weight", -2147483647LL, 2147483647LL);
       if (!w)
         return;
       d.k.file_weight = *w;
       if (s.args.size() == 2) {
         if (s.args[1].text == "reverse")
           d.k.file_reverse = true;
         else
           c.error(s.args[1], "expected 'reverse' after the weight, not '" + s.args[1].text + "'");
       }
     }},
    {"http_protocol",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, http_kinds) || !c.args(s, 1, 1))
         return;
       const std::string& p = s.args[0].text;
       if (p == "1.0")
         d.k.http_protocol = core::config::HttpProtocol::http_1_0;
       else if (p == "1.0C" || p == "1.0c")
         d.k.http_protocol = core::config::HttpProtocol::http_1_0c;
       else if (p == "1.1")
         d.k.http_protocol = core::config::HttpProtocol::http_1_1;
       else
         c.error(s.args[0], "'http_protocol' must be 1.0, 1.0C or 1.1, not '" + p + "'");
     }},
    {"virtualhost",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, http_kinds))
         set_inherit(c, s, d);
     }},
    {"fast_recovery",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, http_kinds))
         c.set_flag(s, d.k.fast_recovery);
     }},
    {"enable_sni",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, {CheckerKind::ssl_get}))
         c.set_flag(s, d.k.enable_sni);
     }},
    {"url",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, http_kinds))
         return;
       if (!s.args.empty())
         c.error(s.args[0], "'url' takes no arguments");
       UrlSpec u;
       u.where = c.where(s.keyword);
       lower_block<UrlSpec>(c, s, url_table, u, "url", TableActs::all);
       if (u.path.empty()) {
         c.error(s.keyword, "'url' needs a 'path'");
         return;
       }
       if (u.path.front() != '/')
         c.warning(s.keyword, "url path '" + u.path + "' does not start with '/'");
       if (u.status_code.empty())
         u.status_code.push_back({200, 299});
       if (u.regex)
         if (auto why = core::Regex::problem(*u.regex, u.regex_options))
           c.error(s.keyword, "url regex '" + *u.regex + "' is not valid: " + *why);
       d.k.urls.push_back(std::move(u));
     },
     Shape::block},
    {"helo_name",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, {CheckerKind::smtp_check}))
         c.set_string(s, d.k.helo_name);
     }},
    {"misc_path",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, {CheckerKind::misc_check}))
         return;
       c.set_command(s, d.k.misc_path);
       d.have_misc_path = d.k.misc_path.has_value();
     }},
    {"misc_timeout",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, {CheckerKind::misc_check}))
         c.set_seconds(s, d.k.misc_timeout, 1ms, max_timer);
     }},
    {"misc_dynamic",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (only_for(c, s, d, {CheckerKind::misc_check}))
         c.set_flag(s, d.k.misc_dynamic);
     }},
    {"user",
     [](Ctx& c, const Statement& s, CheckerDraft& d) {
       if (!only_for(c, s, d, {CheckerKind::misc_check}) || !c.args(s, 1, 2))
         return;
       if (!d.k.misc_path)
         d.k.misc_path = core::config::Command{};
       core::config::RunAs ra{s.args[0].text, {}};
       if (s.args.size() == 2)
         ra.group = s.args[1].text;
       d.k.misc_path->run_as = std::move(ra);
     }},
};

// ---------------------------------------------------------------------------------------------
// real_server

struct RsDraft {
  RealServer& rs;
  Inherit inherit;
  const Inherit& parent;
  std::optional<Forwarding> forwarding;
  const Word* lthreshold_at = nullptr;
};

void lower_checker(Ctx& c, const Statement& s, RsDraft& d) {
  static constexpr std::pair<std::string_view, CheckerKind> kinds[] = {
      {"HTTP_GET", CheckerKind::http_get},     {"SSL_GET", CheckerKind::ssl_get},
      {"TCP_CHECK", CheckerKind::tcp_check},   {"SMTP_CHECK", CheckerKind::smtp_check},
      {"MISC_CHECK", CheckerKind::misc_check}, {"DNS_CHECK", CheckerKind::dns_check},
      {"UDP_CHECK", CheckerKind::udp_check},   {"PING_CHECK", CheckerKind::ping_check},
      {"FILE_CHECK", CheckerKind::file_check}};
  Checker k;
  for (const auto& [n, kind] : kinds)
    if (s.keyword.text == n)
      k.kind = kind;
  if (!s.args.empty())
    c.error(s.args[0], "'" + s.keyword.text + "' takes no arguments");
  k.where = c.where(s.keyword);
  CheckerDraft cd{k, {}, false, {}};
  lower_block<CheckerDraft>(c, s, checker_table, cd, s.keyword.text, TableActs::all);
  Inherit eff = cd.inherit.over(d.inherit.over(d.parent));
  bool http = k.kind == CheckerKind::http_get || k.kind == CheckerKind::ssl_get;
  k.delay_loop = eff.delay_loop.value_or(60s);
  k.connect_timeout = eff.connect_timeout.value_or(5s);
  const bool dns = k.kind == CheckerKind::dns_check;
  k.retry = eff.retry.value_or(k.kind == CheckerKind::misc_check ? 0 : dns ? 3 : 1);
  k.delay_before_retry = eff.delay_before_retry.value_or(http  ? Micros(3s)
                                                         : dns ? k.delay_loop
                                                               : Micros(1s));
  k.warmup = eff.warmup;
  k.alpha = eff.alpha.value_or(false);
  if (http) {
    k.virtualhost = eff.virtualhost;
    for (auto& u : k.urls)
      if (!u.virtualhost)
        u.virtualhost = eff.virtualhost;
    if (k.urls.empty())
      c.error(s.keyword, "'" + s.keyword.text + "' needs at least one 'url'");
  }
  if (k.kind == CheckerKind::misc_check && !cd.have_misc_path)
    c.error(s.keyword, "MISC_CHECK needs a 'misc_path'");
  if (k.kind == CheckerKind::file_check && k.track_file.empty())
    c.error(s.keyword, "FILE_CHECK needs a 'track_file'");
  if (k.kind == CheckerKind::udp_check && k.min_reply_length > k.max_reply_length)
    c.error(s.keyword, "UDP_CHECK 'min_reply_length' is larger than 'max_reply_length'");
  if (k.kind == CheckerKind::misc_check && !k.misc_timeout)
    k.misc_timeout = k.delay_loop;
  if (k.connect_ip && k.connect_ip->family() != d.rs.address.family() &&
      d.forwarding.value_or(Forwarding{}).method != core::config::LvsMethod::tun)
    c.warning(s.keyword, "checker connect_ip family differs from the real server's");
  if (cd.hosts.empty()) {
    d.rs.checkers.push_back(std::move(k));
    return;
  }
  // SMTP_CHECK with `host` blocks: the hosts are the targets (the real server's own address
  // only when a host names it), each checked with the block's other settings.
  c.warning(s.keyword, "'host' blocks in SMTP_CHECK are deprecated in keepalived: vigil checks "
                       "each host as its own SMTP_CHECK (write one SMTP_CHECK with connect_ip "
                       "per host)");
  for (const Checker& h : cd.hosts) {
    Checker one = k;
    one.where = h.where;
    for (auto [to, from] : {std::pair{&one.connect_ip, &h.connect_ip}, {&one.bindto, &h.bindto}})
      if (*from)
        *to = *from;
    if (h.connect_port)
      one.connect_port = h.connect_port;
    if (h.bind_port)
      one.bind_port = h.bind_port;
    if (h.bind_if)
      one.bind_if = h.bind_if;
    if (h.fwmark)
      one.fwmark = h.fwmark;
    d.rs.checkers.push_back(std::move(one));
  }
}

const Keyword<RsDraft> rs_table[] = {
    {"weight", [](Ctx& c, const Statement& s, RsDraft& d) { c.set(s, d.rs.weight, 0, 65535); }},
    {"lvs_method",
     [](Ctx& c, const Statement& s, RsDraft& d) {
       if (auto f = forwarding(c, s))
         d.forwarding = *f;
     }},
    {"inhibit_on_failure", set_inherit<RsDraft>},
    {"notify_up", [](Ctx& c, const Statement& s, RsDraft& d) { c.set_command(s, d.rs.notify_up); }},
    {"notify_down",
     [](Ctx& c, const Statement& s, RsDraft& d) { c.set_command(s, d.rs.notify_down); }},
    {"uthreshold",
     [](Ctx& c, const Statement& s, RsDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       if (auto v = c.integer(s.args[0], "uthreshold", 0, 0xFFFFFFFFLL))
         d.rs.uthreshold = std::uint32_t(*v);
     }},
    {"lthreshold",
     [](Ctx& c, const Statement& s, RsDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       if (auto v = c.integer(s.args[0], "lthreshold", 0, 0xFFFFFFFFLL)) {
         d.rs.lthreshold = std::uint32_t(*v);
         d.lthreshold_at = &s.args[0];
       }
     }},
    {"smtp_alert", set_inherit<RsDraft>},
    {"virtualhost", set_inherit<RsDraft>},
    {"alpha", set_inherit<RsDraft>},
    {"connect_timeout", set_inherit<RsDraft>},
    {"retry", set_inherit<RsDraft>},
    {"delay_before_retry", set_inherit<RsDraft>},
    {"warmup", set_inherit<RsDraft>},
    {"delay_loop", set_inherit<RsDraft>},
    {"HTTP_GET", lower_checker, Shape::block, Phase::second},
    {"SSL_GET", lower_checker, Shape::block, Phase::second},
    {"TCP_CHECK", lower_checker, Shape::block, Phase::second},
    {"SMTP_CHECK", lower_checker, Shape::block, Phase::second},
    {"MISC_CHECK", lower_checker, Shape::block, Phase::second},
    {"DNS_CHECK", lower_checker, Shape::block, Phase::second},
    {"UDP_CHECK", lower_checker, Shape::block, Phase::second},
    {"PING_CHECK", lower_checker, Shape::block, Phase::second},
    {"FILE_CHECK", lower_checker, Shape::block, Phase::second},
};

// ---------------------------------------------------------------------------------------------
// virtual_server

struct VsDraft {
  VirtualServer& vs;
  Inherit inherit;
  std::optional<std::uint32_t> default_weight;
  std::optional<core::Family> ip_family;
  bool protocol_set = false;
  const Word* granularity_at = nullptr;
  const Word* ops_at = nullptr;
  const Word* sorry_at = nullptr;
};

void lower_real_server(Ctx& c, const Statement& s, VsDraft& d) {
  RealServer rs;
  rs.where = c.where(s.keyword);
  if (!c.args(s, 1, 2))
    return;
  auto a = c.ip(s.args[0], "real_server");
  if (!a)
    return;
  rs.address = *a;
  if (s.args.size() == 2) {
    auto p = c.port(s.args[1], "real_server port");
    if (!p)
      return;
    rs.port = *p;
  } else {
    rs.port = d.vs.port;
  }
  rs.weight = d.default_weight.value_or(1);
  RsDraft rd{rs, {}, d.inherit, {}};
  lower_block<RsDraft>(c, s, rs_table, rd, "real_server", TableActs::all);
  const auto lower = rs.lthreshold.value_or(0), upper = rs.uthreshold.value_or(0);
  if (lower > upper && rd.lthreshold_at)
    c.error(*rd.lthreshold_at,
            "lthreshold " + std::to_string(lower) +
                (upper ? " exceeds uthreshold " + std::to_string(upper) : " without an uthreshold"),
            "the kernel refuses a lower threshold above the upper one (keepalived 2.2.7 passes "
            "-t and then fails at run time)");
  Inherit eff = rd.inherit.over(d.inherit);
  rs.forwarding = rd.forwarding.value_or(d.vs.forwarding);
  if (rs.forwarding.method != core::config::LvsMethod::nat && s.args.size() == 2 &&
      d.vs.kind != core::config::VsKind::fwmark && rs.port != d.vs.port)
    c.warning(s.args[1],
              "a " +
                  std::string(rs.forwarding.method == core::config::LvsMethod::dr ? "DR" : "TUN") +
                  " real server keeps the service's port: traffic goes to port " +
                  std::to_string(d.vs.port) + ", not " + std::to_string(rs.port),
              "only NAT can change the port; write the service's port (keepalived 2.2.7 "
              "reports an error here and then programs the service's port)");
  rs.inhibit_on_failure = eff.inhibit_on_failure.value_or(false);
  rs.smtp_alert = eff.smtp_alert.value_or(false);
  rs.alpha = eff.alpha.value_or(false);
  d.vs.real_servers.push_back(std::move(rs));
}

bool set_sched(Ctx& c, const Statement& s, VsDraft& d) {
  static constexpr std::string_view scheds[] = {"rr", "wrr", "lc",  "wlc",   "lblc", "sh", "mh",
                                                "dh", "fo",  "ovf", "lblcr", "sed",  "nq", "twos"};
  if (!c.args(s, 1, 1))
    return false;
  const std::string& n = s.args[0].text;
  if (std::find(std::begin(scheds), std::end(scheds), n) == std::end(scheds)) {
    std::string_view best;
    std::size_t bd = SIZE_MAX;
    for (auto sc : scheds)
      if (auto e = edit_distance(n, sc); e < bd)
        bd = e, best = sc;
    c.error(s.args[0], "unknown scheduler '" + n + "'",
            bd <= 1 ? "did you mean '" + std::string(best) + "'?"
                    : "schedulers are rr wrr lc wlc lblc lblcr sh mh dh fo ovf sed nq twos");
    return false;
  }
  d.vs.lvs_sched = n;
  return true;
}

const Keyword<VsDraft> vs_table[] = {
    {"delay_loop", set_inherit<VsDraft>},
    {"lvs_sched", [](Ctx& c, const Statement& s, VsDraft& d) { set_sched(c, s, d); }},
    {"lb_algo", [](Ctx& c, const Statement& s, VsDraft& d) { set_sched(c, s, d); }},
    {"lvs_method",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (auto f = forwarding(c, s))
         d.vs.forwarding = *f;
     }},
    {"lb_kind",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (auto f = forwarding(c, s))
         d.vs.forwarding = *f;
     }},
    {"persistence_timeout",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (!c.args(s, 0, 1))
         return;
       if (s.args.empty()) {
         d.vs.persistence_timeout = 360;
         return;
       }
       if (auto v = c.integer(s.args[0], "persistence_timeout", 1, 0x7FFFFFFF))
         d.vs.persistence_timeout = std::uint32_t(*v);
     }},
    {"persistence_granularity",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       d.granularity_at = &s.args[0];
       const std::string& t = s.args[0].text;
       if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) {
         // keepalived writes an IPv6 granularity as a prefix length (1..128)
         auto n = c.integer(s.args[0], "persistence_granularity", 1, 128);
         if (!n)
           return;
         std::uint8_t mask[16] = {};
         for (int bit = 0; bit < int(*n); ++bit)
           mask[bit / 8] |= std::uint8_t(0x80 >> (bit % 8));
         d.vs.persistence_granularity = core::IpAddress::from_bytes(core::Family::inet6, mask);
         return;
       }
       c.set_ip(s, d.vs.persistence_granularity);
     }},
    {"persistence_engine",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       if (s.args[0].text != "sip")
         c.error(s.args[0], "the only persistence engine is 'sip'");
       else
         d.vs.persistence_engine = "sip";
     }},
    {"protocol",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       const std::string& p = s.args[0].text;
       if (p == "TCP" || p == "tcp")
         d.vs.protocol = core::config::Protocol::tcp;
       else if (p == "UDP" || p == "udp")
         d.vs.protocol = core::config::Protocol::udp;
       else if (p == "SCTP" || p == "sctp")
         d.vs.protocol = core::config::Protocol::sctp;
       else {
         c.error(s.args[0], "'protocol' must be TCP, UDP or SCTP, not '" + p + "'");
         return;
       }
       d.protocol_set = true;
     }},
    {"ip_family",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (!c.args(s, 1, 1))
         return;
       if (s.args[0].text == "inet")
         d.ip_family = core::Family::inet;
       else if (s.args[0].text == "inet6")
         d.ip_family = core::Family::inet6;
       else
         c.error(s.args[0], "'ip_family' must be inet or inet6");
     }},
    {"ha_suspend", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.ha_suspend); }},
    {"smtp_alert",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       c.set_flag(s, d.vs.smtp_alert);
       d.inherit.smtp_alert = d.vs.smtp_alert;
     }},
    {"virtualhost",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       set_inherit(c, s, d);
       d.vs.virtualhost = d.inherit.virtualhost;
     }},
    {"alpha",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       set_inherit(c, s, d);
       d.vs.alpha = d.inherit.alpha.value_or(false);
     }},
    {"omega", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.omega); }},
    {"quorum",
     [](Ctx& c, const Statement& s, VsDraft& d) { c.set(s, d.vs.quorum, 1, 0x7FFFFFFF); }},
    {"hysteresis",
     [](Ctx& c, const Statement& s, VsDraft& d) { c.set(s, d.vs.hysteresis, 0, 0x7FFFFFFF); }},
    {"quorum_up", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_command(s, d.vs.quorum_up); }},
    {"quorum_down",
     [](Ctx& c, const Statement& s, VsDraft& d) { c.set_command(s, d.vs.quorum_down); }},
    {"sorry_server",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (!c.args(s, 1, 2))
         return;
       auto a = c.ip(s.args[0], "sorry_server");
       if (!a)
         return;
       d.sorry_at = &s.args[0];
       d.vs.sorry_server = *a;
       d.vs.sorry_server_port = d.vs.port;
       if (s.args.size() == 2)
         if (auto p = c.port(s.args[1], "sorry_server port"))
           d.vs.sorry_server_port = *p;
     }},
    {"sorry_server_inhibit",
     [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.sorry_server_inhibit); }},
    {"sorry_server_lvs_method",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       if (auto f = forwarding(c, s))
         d.vs.sorry_server_lvs_method = *f;
     }},
    {"connect_timeout", set_inherit<VsDraft>},
    {"retry", set_inherit<VsDraft>},
    {"delay_before_retry", set_inherit<VsDraft>},
    {"warmup", set_inherit<VsDraft>},
    {"inhibit_on_failure", set_inherit<VsDraft>},
    {"weight",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       std::uint32_t w = 1;
       std::size_t before = c.error_count();
       c.set(s, w, 0, 65535);
       if (c.error_count() == before)
         d.default_weight = w;
     }},
    {"ops",
     [](Ctx& c, const Statement& s, VsDraft& d) {
       c.set_flag(s, d.vs.ops);
       d.ops_at = &s.keyword;
     }},
    {"flag-1", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.flag_1); }},
    {"flag-2", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.flag_2); }},
    {"flag-3", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.flag_3); }},
    {"sh-fallback", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.flag_1); }},
    {"sh-port", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.flag_2); }},
    {"mh-fallback", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.flag_1); }},
    {"mh-port", [](Ctx& c, const Statement& s, VsDraft& d) { c.set_flag(s, d.vs.flag_2); }},
    {"real_server", lower_real_server, Shape::block, Phase::second},
};

// ---------------------------------------------------------------------------------------------
// virtual_server_group

std::optional<core::config::VsgEntry> vsg_entry(Ctx& c, const Statement& line) {
  core::config::VsgEntry e;
  e.where = c.where(line.keyword);
  if (line.has_block) {
    c.no_block(line);
    return std::nullopt;
  }
  if (line.keyword.text == "fwmark") {
    if (!c.args(line, 1, 2))
      return std::nullopt;
    auto m = c.integer(line.args[0], "fwmark", 1, 0xFFFFFFFFLL);
    if (!m)
      return std::nullopt;
    e.fwmark = std::uint32_t(*m);
    if (line.args.size() == 2) {
      if (line.args[1].text == "inet")
        e.family = core::Family::inet;
      else if (line.args[1].text == "inet6")
        e.family = core::Family::inet6;
      else {
        c.error(line.args[1], "fwmark family must be inet or inet6");
        return std::nullopt;
      }
    }
    return e;
  }
  if (!c.args(line, 0, 1))
    return std::nullopt;
  const std::string& t = line.keyword.text;
  auto slash = t.find('/');
  auto dash = t.find('-');
  if (slash != std::string::npos) {
    auto p = c.prefix(line.keyword, "virtual_server_group");
    if (!p)
      return std::nullopt;
    if (p->length < (p->address.is_v4() ? 24u : 112u)) {
      c.error(line.keyword,
              "'" + t + "' spans more than the last " +
                  (p->address.is_v4() ? "octet (at least /24)" : "group (at least /112)"),
              "a group entry varies only the last part of the address; split it");
      return std::nullopt;
    }
    // The range covers the prefix's addresses.
    std::array<std::uint8_t, 16> lo{}, hi{};
    std::copy(p->address.data(), p->address.data() + p->address.size(), lo.begin());
    hi = lo;
    for (unsigned bit = p->length; bit < p->address.size() * 8; ++bit) {
      lo[bit / 8] &= std::uint8_t(~(0x80u >> (bit % 8)));
      hi[bit / 8] |= std::uint8_t(0x80u >> (bit % 8));
    }
    e.first = core::IpAddress::from_bytes(p->address.family(), lo.data());
    e.last = core::IpAddress::from_bytes(p->address.family(), hi.data());
  } else if (dash != std::string::npos) {
    auto first = core::IpAddress::parse(t.substr(0, dash));
    if (!first) {
      c.error(line.keyword, "'" + t + "' is not an address range");
      return std::nullopt;
    }
    std::string tail = t.substr(dash + 1);
    auto last = core::IpAddress::parse(tail);
    if (!last) {
      // IP-N: the last octet (IPv4) or last group (IPv6) of the range's end.
      Word w = line.keyword;
      w.text = first->is_v6() ? "0x" + tail : tail; // IPv6 groups are hexadecimal
      auto n = c.integer(w, "range end", 0, first->is_v4() ? 255 : 0xFFFF);
      if (!n)
        return std::nullopt;
      std::array<std::uint8_t, 16> b{};
      std::copy(first->data(), first->data() + first->size(), b.begin());
      if (first->is_v4())
        b[3] = std::uint8_t(*n);
      else
        b[14] = std::uint8_t(*n >> 8), b[15] = std::uint8_t(*n);
      last = core::IpAddress::from_bytes(first->family(), b.data());
    }
    if (last->family() != first->family() || *last < *first) {
      c.error(line.keyword, "address range '" + t + "' is empty or mixes families");
      return std::nullopt;
    }
    if (std::memcmp(first->data(), last->data(), first->size() - (first->is_v4() ? 1 : 2)) != 0) {
      c.error(line.keyword,
              "address range '" + t + "' crosses " +
                  (first->is_v4() ? "an octet" : "a 16-bit group") + " boundary",
              "a range varies only the last " + std::string(first->is_v4() ? "octet" : "group") +
                  " of the address (keepalived 2.2.7 loops forever on such a range); split it");
      return std::nullopt;
    }
    e.first = *first;
    e.last = *last;
  } else {
    auto a = c.ip(line.keyword, "virtual_server_group");
    if (!a)
      return std::nullopt;
    e.first = e.last = *a;
  }
  if (!line.args.empty()) {
    auto p = c.port(line.args[0], "port");
    if (!p)
      return std::nullopt;
    e.port = *p;
  }
  return e;
}

} // namespace

void lower_virtual_server_group(Ctx& c, const Statement& s, Config& cfg) {
  core::config::VirtualServerGroup g;
  if (!c.args(s, 1, 1))
    return;
  g.name = s.args[0].text;
  g.where = c.where(s.keyword);
  for (const Statement& line : s.children)
    if (auto e = vsg_entry(c, line))
      g.entries.push_back(std::move(*e));
  if (g.entries.empty())
    c.error(s.keyword, "virtual_server_group '" + g.name + "' is empty");
  cfg.virtual_server_groups.push_back(std::move(g));
}

void lower_virtual_server(Ctx& c, const Statement& s, Config& cfg) {
  VirtualServer vs;
  vs.where = c.where(s.keyword);
  if (!c.args(s, 1, 2))
    return;
  const Word& a0 = s.args[0];
  if (a0.text == "fwmark" || a0.text == "group") {
    if (s.args.size() != 2) {
      c.error(a0, "'virtual_server " + a0.text + "' needs a " +
                      (a0.text == "fwmark" ? "mark number" : "group name"));
      return;
    }
    if (a0.text == "fwmark") {
      vs.kind = core::config::VsKind::fwmark;
      auto m = c.integer(s.args[1], "fwmark", 1, 0xFFFFFFFFLL);
      if (!m)
        return;
      vs.fwmark = std::uint32_t(*m);
    } else {
      vs.kind = core::config::VsKind::group;
      vs.group = s.args[1].text;
    }
  } else {
    auto a = c.ip(a0, "virtual_server");
    if (!a)
      return;
    vs.address = *a;
    vs.family = a->family();
    if (s.args.size() == 2) {
      auto p = c.port(s.args[1], "virtual_server port");
      if (!p)
        return;
      vs.port = *p;
    }
  }
  // Room for every real server at once: growing moves each (large) one several times.
  vs.real_servers.reserve(
      std::size_t(std::count_if(s.children.begin(), s.children.end(), [](const Statement& child) {
        return child.keyword.text == "real_server";
      })));
  VsDraft d{vs, {}, {}, {}, false, nullptr, nullptr, nullptr};
  d.inherit.smtp_alert = cfg.global_defs.smtp_alert_checker || cfg.global_defs.smtp_alert;
  vs.smtp_alert = *d.inherit.smtp_alert;
  lower_block<VsDraft>(c, s, vs_table, d, "virtual_server", TableActs::all);
  if (!d.protocol_set && vs.kind != core::config::VsKind::fwmark)
    c.warning(s.keyword, "virtual_server has no 'protocol'; vigil uses TCP",
              "keepalived 2.2.7 falls back to UDP here; write 'protocol TCP' or 'protocol UDP'");
  if (vs.kind != core::config::VsKind::address) {
    if (d.ip_family)
      vs.family = *d.ip_family;
    else if (!vs.real_servers.empty())
      vs.family = vs.real_servers.front().address.family();
  } else if (d.ip_family && *d.ip_family != vs.family) {
    c.error(s.keyword, "'ip_family' contradicts the virtual server's address");
  }
  // keepalived: persistence_granularity alone makes the service persistent (360 s).
  if (vs.persistence_granularity && !vs.persistence_timeout)
    vs.persistence_timeout = 360;
  if (vs.kind == core::config::VsKind::address && vs.port == 0 && !vs.persistence_timeout)
    c.error(s.keyword, "a virtual server without a port must be persistent",
            "add a port or 'persistence_timeout'");
  if (vs.persistence_granularity && vs.persistence_granularity->family() != vs.family)
    c.error(*d.granularity_at, "'persistence_granularity' family differs from the service's");
  if (vs.ops && vs.protocol != core::config::Protocol::udp)
    c.error(*d.ops_at, "'ops' (one-packet scheduling) applies to UDP services only");
  if (vs.sorry_server && vs.sorry_server->family() != vs.family &&
      vs.sorry_server_lvs_method.value_or(vs.forwarding).method != core::config::LvsMethod::tun)
    c.error(*d.sorry_at, "sorry_server " + vs.sorry_server->to_string() +
                             " is not of the virtual server's family");
  cfg.virtual_servers.push_back(std::move(vs));
}

void lower_ssl(Ctx& c, const Statement& s, Config& cfg) {
  if (cfg.ssl)
    c.error(s.keyword, "'SSL' is defined twice");
  core::config::SslContext ssl;
  for (const Statement& line : s.children) {
    const std::string& k = line.keyword.text;
    if (k == "password")
      c.set_string(line, ssl.password);
    else if (k == "ca")
      c.set_string(line, ssl.ca);
    else if (k == "certificate")
      c.set_string(line, ssl.certificate);
    else if (k == "key")
      c.set_string(line, ssl.key);
    else {
      static constexpr std::string_view names[] = {"password", "ca", "certificate", "key"};
      unknown_keyword(c, line, "SSL", names);
    }
  }
  cfg.ssl = std::move(ssl);
}

void validate_lvs(Ctx& c, Config& cfg) {
  std::map<std::string, const core::config::VirtualServerGroup*> groups;
  for (const auto& g : cfg.virtual_server_groups) {
    auto [it, fresh] = groups.emplace(g.name, &g);
    if (!fresh)
      c.error(g.where, "virtual_server_group '" + g.name + "' is defined twice",
              "first defined at " + c.describe(it->second->where));
  }
  using Key = std::tuple<int, core::IpAddress, std::string_view, std::uint16_t, std::uint32_t, int>;
  std::map<Key, const VirtualServer*> services;
  // (reused for every virtual server: its real servers by address and port, then position)
  std::vector<std::tuple<core::IpAddress, std::uint16_t, std::size_t>> by_target;
  std::vector<std::pair<std::size_t, std::size_t>> twice; // (repeat, first)
  for (auto& vs : cfg.virtual_servers) {
    if (vs.kind == core::config::VsKind::group && !groups.count(vs.group))
      c.error(vs.where, "virtual_server group '" + vs.group + "' is not a virtual_server_group");
    Key k{int(vs.kind),    vs.address.value_or(core::IpAddress()), vs.group, vs.port, vs.fwmark,
          int(vs.protocol)};
    auto [it, fresh] = services.emplace(k, &vs);
    if (!fresh)
      c.error(vs.where, "this virtual_server is defined twice",
              "first defined at " + c.describe(it->second->where));
    by_target.clear();
    twice.clear();
    for (std::size_t r = 0; r < vs.real_servers.size(); ++r)
      by_target.emplace_back(vs.real_servers[r].address, vs.real_servers[r].port, r);
    std::sort(by_target.begin(), by_target.end());
    for (std::size_t i = 1; i < by_target.size(); ++i)
      if (std::get<0>(by_target[i]) == std::get<0>(by_target[i - 1]) &&
          std::get<1>(by_target[i]) == std::get<1>(by_target[i - 1])) {
        std::size_t first = i - 1;
        while (first > 0 && std::get<0>(by_target[first - 1]) == std::get<0>(by_target[i]) &&
               std::get<1>(by_target[first - 1]) == std::get<1>(by_target[i]))
          --first;
        twice.emplace_back(std::get<2>(by_target[i]), std::get<2>(by_target[first]));
      }
    std::sort(twice.begin(), twice.end()); // reported in the file's order
    for (const auto& [r, first] : twice) {
      const RealServer& rs = vs.real_servers[r];
      c.error(rs.where,
              "real_server " + rs.address.to_string() + " port " + std::to_string(rs.port) +
                  " appears twice in this virtual_server",
              "first at " + c.describe(vs.real_servers[first].where));
    }
    for (const auto& rs : vs.real_servers) {
      for (const auto& k : rs.checkers)
        if (k.kind == CheckerKind::file_check && !k.track_file.empty() &&
            !cfg.find_track_file(k.track_file))
          c.error(k.where, "FILE_CHECK track_file '" + k.track_file + "' is not defined",
                  "define it at the top level: track_file " + k.track_file + " { file PATH }");
      if (rs.address.family() != vs.family && rs.forwarding.method != core::config::LvsMethod::tun)
        c.error(rs.where, "real_server " + rs.address.to_string() +
                              " is not of the virtual server's family (only TUN may differ)");
    }
  }
}

void list_lvs_keywords(std::vector<KeywordHome>& out) {
  list_names(vs_table, "virtual_server", out);
  list_names(rs_table, "real_server", out);
  list_names(checker_table, "checker", out);
  list_names(url_table, "url", out);
}

} // namespace vigil::grammar::lower
