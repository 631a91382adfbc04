#pragma once
// Entry points of the per-section lowering units (internal to the grammar library).
#include <optional>
#include <string>

#include "core/config/config.hpp"
#include "grammar/ast.hpp"
#include "grammar/lower/context.hpp"

namespace vigil::grammar::lower {

struct LowerOptions {
  std::string hostname; ///< default router_id, smtp_helo_name and email sender
};

/// Lowers the whole tree; returns the model even when errors were reported (callers check the
/// diagnostics before using it).
core::config::Config lower_tree(Ctx& c, ast::Tree tree, const LowerOptions& options);

// Sections, each in its own unit.
void lower_global_defs(Ctx& c, const Statement& s, core::config::GlobalDefs& g);
void lower_vrrp_script(Ctx& c, const Statement& s, core::config::Config& cfg);
void lower_track_file(Ctx& c, const Statement& s, core::config::Config& cfg);
void lower_sync_group(Ctx& c, const Statement& s, core::config::Config& cfg);
void lower_vrrp_instance(Ctx& c, const Statement& s, core::config::Config& cfg);
void lower_virtual_server_group(Ctx& c, const Statement& s, core::config::Config& cfg);
void lower_virtual_server(Ctx& c, const Statement& s, core::config::Config& cfg);
void lower_ssl(Ctx& c, const Statement& s, core::config::Config& cfg);

/// Cross-references, duplicates and conflicts over the whole model.
void validate_vrrp(Ctx& c, core::config::Config& cfg);
void validate_lvs(Ctx& c, core::config::Config& cfg);

// Address, route and rule lines (ip-command syntax) shared by static_* and virtual_*.
enum class LineUse : std::uint8_t { virtual_, static_ };
std::optional<core::config::AddressSpec> lower_address(Ctx& c, const Statement& line, LineUse use);
std::optional<core::config::RouteSpec> lower_route(Ctx& c, const Statement& line, LineUse use);
std::optional<core::config::RuleSpec> lower_rule(Ctx& c, const Statement& line, LineUse use);

/// `N`, `main`, `local`, `default` or a name from /etc/iproute2/rt_tables.
std::optional<std::uint32_t> route_table(Ctx& c, const Word& w);

} // namespace vigil::grammar::lower
