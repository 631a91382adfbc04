#include "daemon/config_loader.hpp"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <map>

#include "core/config/visit.hpp"
#include "core/digest.hpp"
#include "core/io/process.hpp"

namespace vigil::daemon {

using namespace core::io; // the process runner and the SMTP client

namespace {

std::string source_line(const core::SourcePos& pos) {
  std::ifstream in(pos.file);
  std::string line;
  for (std::uint32_t n = 0; n < pos.line && std::getline(in, line);)
    ++n;
  return line;
}

/// Checks that need the machine, not just the text: the programs scripts name, their safety
/// under enable_script_security, and an SMTP server vigild can reach without resolving names.
void check_machine(const core::config::Config& cfg, core::Diagnostics& diags) {
  const auto& g = cfg.global_defs;
  std::string why;
  bool default_is_root = !resolve_user("keepalived_script", std::nullopt, why);
  core::config::visit_all<core::config::Command>(cfg, [&](const core::config::Command& c) {
    if (c.argv.empty())
      return; // notify_deleted without a script
    const auto& pos = c.where.pos;
    auto program = find_program(c.argv.front());
    if (!program || ::access(program->c_str(), X_OK) != 0) {
      diags.warning(pos,
                    "script '" + c.argv.front() +
                        "' is not an executable file here; running it will fail",
                    source_line(pos));
      return;
    }
    const auto& who = c.run_as ? c.run_as : g.script_user;
    if (who) {
      std::string reason;
      if (!resolve_user(who->user, who->group, reason))
        diags.error(pos, "script '" + c.text + "': " + reason, source_line(pos));
    }
    bool as_root = who ? who->user == "root" || who->user == "0" : default_is_root;
    if (g.enable_script_security && as_root) {
      std::string problem = script_security_problem(*program);
      if (!problem.empty())
        diags.error(pos, "refusing to run '" + c.text + "' as root: " + problem, source_line(pos),
                    "enable_script_security refuses scripts that a non-root user could change");
    }
  });
  bool wants_mail = false;
  for (const auto& i : cfg.vrrp_instances)
    wants_mail = wants_mail || i.notify.smtp_alert;
  for (const auto& s : cfg.sync_groups)
    wants_mail = wants_mail || s.notify.smtp_alert;
  if (wants_mail && g.smtp_server && !core::IpAddress::parse(g.smtp_server->host))
    diags.error(g.where.pos,
                "smtp_server '" + g.smtp_server->host +
                    "' is a name: vigild sends alerts to an IP address (it resolves no names on "
                    "its event loop)",
                source_line(g.where.pos));
  if (wants_mail && !g.smtp_server)
    diags.warning(g.where.pos, "smtp_alert is set but global_defs has no smtp_server",
                  source_line(g.where.pos));
}

} // namespace

std::string statement_hash(const std::string& text) {
  return core::to_hex(
      core::sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
}

Loaded load_config(const std::string& path, const grammar::LoadOptions& options,
                   UnactedPolicy policy) {
  grammar::LoadResult r = grammar::load_file(path, options);
  Loaded out;
  out.unreadable = r.file_unreadable;
  out.text = std::move(r.text);
  out.diagnostics = std::move(r.diagnostics);
  // One diagnostic per keyword (its first use), so a large config is not drowned in repeats.
  std::map<std::string, std::pair<const grammar::Unacted*, std::size_t>> first;
  std::vector<std::string> order;
  for (const auto& u : r.unacted) {
    auto [it, fresh] = first.emplace(u.keyword, std::make_pair(&u, std::size_t(0)));
    if (fresh)
      order.push_back(u.keyword);
    ++it->second.second;
  }
  for (const auto& kw : order) {
    const auto& [u, count] = first[kw];
    std::string msg = "'" + kw + "' is accepted by the configuration checker but this vigild " +
                      "build does not act on it yet";
    std::string note = policy == UnactedPolicy::error
                           ? "vigild refuses to run a configuration it would not honour"
                           : "vigild will refuse to run this configuration";
    if (count > 1)
      note += " (used " + std::to_string(count) + " times)";
    out.diagnostics.add(
        {policy == UnactedPolicy::error ? core::Severity::error : core::Severity::warning, u->pos,
         msg, u->source_line, note});
  }
  if (r.config)
    check_machine(*r.config, out.diagnostics);
  if (!out.diagnostics.has_errors())
    out.config = std::move(r.config);
  return out;
}

std::string hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return "localhost";
  return buf;
}

std::string short_hostname() {
  std::string h = hostname();
  auto dot = h.find('.');
  return dot == std::string::npos ? h : h.substr(0, dot);
}

} // namespace vigil::daemon
