// The top level of keepalived.conf and the lowering driver.
#include "grammar/lower/lower.hpp"

#include "grammar/lower/registry.hpp"

namespace vigil::grammar::lower {
namespace {

using core::config::Config;

struct Top {
  Config& cfg;
};

template <class T, class F>
void lines_of(Ctx& c, const Statement& s, std::vector<T>& out, F lower_line) {
  if (!s.args.empty())
    c.error(s.args[0], "'" + s.keyword.text + "' takes no arguments");
  for (const Statement& line : s.children)
    if (auto v = lower_line(c, line, LineUse::static_))
      out.push_back(std::move(*v));
}

const Keyword<Top> top_table[] = {
    {"global_defs",
     [](Ctx& c, const Statement& s, Top& t) { lower_global_defs(c, s, t.cfg.global_defs); },
     Shape::block, Phase::first, true},
    {"static_ipaddress",
     [](Ctx& c, const Statement& s, Top& t) {
       lines_of(c, s, t.cfg.static_ipaddress, lower_address);
     },
     Shape::block, Phase::second, true},
    {"static_routes",
     [](Ctx& c, const Statement& s, Top& t) { lines_of(c, s, t.cfg.static_routes, lower_route); },
     Shape::block, Phase::second, true},
    {"static_rules",
     [](Ctx& c, const Statement& s, Top& t) { lines_of(c, s, t.cfg.static_rules, lower_rule); },
     Shape::block, Phase::second, true},
    {"track_group",
     [](Ctx& c, const Statement& s, Top& t) {
       if (!c.args(s, 1, 1))
         return;
       core::config::TrackGroup g;
       g.name = s.args[0].text;
       g.where = c.where(s.keyword);
       for (const Statement& line : s.children) {
         if (line.keyword.text == "group")
           g.group = c.word_list(line);
         else {
           static constexpr std::string_view names[] = {"group"};
           unknown_keyword(c, line, "track_group", names);
         }
       }
       t.cfg.track_groups.push_back(std::move(g));
     },
     Shape::block, Phase::second},
    {"vrrp_script", [](Ctx& c, const Statement& s, Top& t) { lower_vrrp_script(c, s, t.cfg); },
     Shape::block, Phase::second, true},
    {"track_file", [](Ctx& c, const Statement& s, Top& t) { lower_track_file(c, s, t.cfg); },
     Shape::block, Phase::second, true},
    {"vrrp_track_file", [](Ctx& c, const Statement& s, Top& t) { lower_track_file(c, s, t.cfg); },
     Shape::block, Phase::second, true},
    {"vrrp_sync_group", [](Ctx& c, const Statement& s, Top& t) { lower_sync_group(c, s, t.cfg); },
     Shape::block, Phase::second, true},
    {"vrrp_instance", [](Ctx& c, const Statement& s, Top& t) { lower_vrrp_instance(c, s, t.cfg); },
     Shape::block, Phase::second, true},
    {"virtual_server_group",
     [](Ctx& c, const Statement& s, Top& t) { lower_virtual_server_group(c, s, t.cfg); },
     Shape::block, Phase::second, true},
    {"virtual_server",
     [](Ctx& c, const Statement& s, Top& t) { lower_virtual_server(c, s, t.cfg); }, Shape::block,
     Phase::second, true},
    {"SSL", [](Ctx& c, const Statement& s, Top& t) { lower_ssl(c, s, t.cfg); }, Shape::block,
     Phase::second, true},
    {"instance", [](Ctx& c, const Statement& s, Top& t) { c.set_string(s, t.cfg.instance); },
     Shape::line, Phase::first, true},
};

} // namespace

Config lower_tree(Ctx& c, ast::Tree tree, const LowerOptions& options) {
  Config cfg;
  cfg.global_defs.router_id = options.hostname;
  cfg.global_defs.smtp_helo_name = options.hostname;
  cfg.global_defs.notification_email_from = "keepalived@" + options.hostname;
  for (const auto& e : tree.errors)
    c.error(e.offset, e.message);
  Statement root;
  root.children = tree.statements; // lower_block walks a block's children
  Top top{cfg};
  lower_block<Top>(c, root, top_table, top, "");
  validate_vrrp(c, cfg);
  validate_lvs(c, cfg);
  return cfg;
}

void list_top_keywords(std::vector<KeywordHome>& out) {
  list_names(top_table, "", out);
}

} // namespace vigil::grammar::lower
