#include "core/config/diff.hpp"

#include <string>
#include <unordered_map>

namespace vigil::core::config {

ConfigDiff diff(const Config& running, const Config& next) {
  ConfigDiff d;
  std::unordered_map<std::string, std::size_t> by_identity;
  by_identity.reserve(running.virtual_servers.size());
  for (std::size_t i = 0; i < running.virtual_servers.size(); ++i)
    by_identity.emplace(describe_vs(running.virtual_servers[i]), i);
  d.unchanged_vs.reserve(next.virtual_servers.size());
  for (const auto& vs : next.virtual_servers) {
    auto it = by_identity.find(describe_vs(vs));
    if (it != by_identity.end() && running.virtual_servers[it->second] == vs)
      d.unchanged_vs.push_back(it->second);
    else
      d.unchanged_vs.push_back(std::nullopt);
  }
  return d;
}

} // namespace vigil::core::config
