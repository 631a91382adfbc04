#include "daemon/config_loader.hpp"

#include <unistd.h>

#include <climits>
#include <map>

namespace vigil::daemon {

Loaded load_config(const std::string& path, const grammar::LoadOptions& options,
                   UnactedPolicy policy) {
  grammar::LoadResult r = grammar::load_file(path, options);
  Loaded out;
  out.unreadable = r.file_unreadable;
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
