#pragma once
// The validated, immutable configuration snapshot. Built only by the grammar library; shared as
// `std::shared_ptr<const Config>`; never modified after loading (reload builds a new one).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/common.hpp"
#include "core/config/global_defs.hpp"
#include "core/config/lvs.hpp"
#include "core/config/vrrp.hpp"

namespace vigil::core::config {

/// A named group of VRRP instances tracking static addresses/routes/rules.
struct TrackGroup {
  std::string name;
  std::vector<std::string> group;
  Where where;
  bool operator==(const TrackGroup&) const = default;
};
BOOST_DESCRIBE_STRUCT(TrackGroup, (), (name, group))

struct Config {
  GlobalDefs global_defs;
  std::vector<AddressSpec> static_ipaddress;
  std::vector<RouteSpec> static_routes;
  std::vector<RuleSpec> static_rules;
  std::vector<TrackGroup> track_groups;
  std::vector<VrrpScript> vrrp_scripts;
  std::vector<TrackFile> track_files;
  std::vector<SyncGroup> sync_groups;
  std::vector<VrrpInstance> vrrp_instances;
  std::vector<VirtualServerGroup> virtual_server_groups;
  std::vector<VirtualServer> virtual_servers;
  std::optional<SslContext> ssl;
  /// top-level `instance NAME`: several vigild on one host; names the VRRP state file
  std::optional<std::string> instance;
  bool operator==(const Config&) const = default;

  const VrrpScript* find_script(std::string_view name) const;
  const TrackFile* find_track_file(std::string_view name) const;
  const VrrpInstance* find_instance(std::string_view name) const;
};
BOOST_DESCRIBE_STRUCT(Config, (),
                      (global_defs, static_ipaddress, static_routes, static_rules, track_groups,
                       vrrp_scripts, track_files, sync_groups, vrrp_instances,
                       virtual_server_groups, virtual_servers, ssl, instance))

using ConfigPtr = std::shared_ptr<const Config>;

/// The normalized model as JSON: stable key order (declaration order), every default explicit,
/// durations in seconds, addresses as text. Golden tests and `vigild --dump-config` use it.
std::string to_json(const Config& config);

} // namespace vigil::core::config
