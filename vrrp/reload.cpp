#include "vrrp/reload.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

namespace vigil::vrrp {

using core::config::VrrpInstance;

std::optional<std::string> restart_reason(const VrrpInstance& a, const VrrpInstance& b) {
  using core::config::AuthType;
  if (a.interface != b.interface)
    return "interface";
  if (a.virtual_router_id != b.virtual_router_id)
    return "virtual_router_id";
  if (a.family != b.family)
    return "the address family";
  if (a.version != b.version)
    return "version";
  if (a.use_vmac != b.use_vmac)
    return "use_vmac";
  if (a.auth_type != b.auth_type && (a.auth_type == AuthType::ah || b.auth_type == AuthType::ah))
    return "auth_type AH";
  if (a.unicast_peer.empty() != b.unicast_peer.empty())
    return "unicast or multicast";
  if (a.mcast_dst_ip != b.mcast_dst_ip)
    return "mcast_dst_ip";
  if ((a.priority == 255) != (b.priority == 255))
    return "address ownership (priority 255)";
  return std::nullopt;
}

std::string changed_keywords(const VrrpInstance& a, const VrrpInstance& b) {
  std::string out;
  boost::mp11::mp_for_each<
      boost::describe::describe_members<VrrpInstance, boost::describe::mod_public>>(
      [&](auto member) {
        if (!(a.*member.pointer == b.*member.pointer))
          out += (out.empty() ? "" : ", ") + std::string(member.name);
      });
  return out;
}

ReloadPlan plan_reload(const std::vector<const VrrpInstance*>& running,
                       const std::vector<VrrpInstance>& next) {
  using Identity = std::tuple<unsigned, core::Family, std::string>;
  auto identity = [](const VrrpInstance& c) {
    return Identity{c.virtual_router_id, c.family, c.interface.value_or("")};
  };
  std::unordered_map<std::string_view, std::size_t> by_name;
  std::map<Identity, std::vector<std::size_t>> by_identity; // in running order
  for (std::size_t k = 0; k < running.size(); ++k) {
    by_name.emplace(running[k]->name, k);
    by_identity[identity(*running[k])].push_back(k);
  }
  // Names first (over the whole list), then identities for the instances still unmatched: a
  // renamed instance never takes the running instance that keeps its name.
  std::vector<bool> taken(running.size(), false);
  std::vector<std::optional<std::size_t>> matched(next.size());
  for (std::size_t n = 0; n < next.size(); ++n)
    if (auto it = by_name.find(next[n].name); it != by_name.end() && !taken[it->second]) {
      taken[it->second] = true;
      matched[n] = it->second;
    }
  for (std::size_t n = 0; n < next.size(); ++n) {
    if (matched[n])
      continue;
    if (auto it = by_identity.find(identity(next[n])); it != by_identity.end())
      for (std::size_t k : it->second)
        if (!taken[k]) {
          taken[k] = true;
          matched[n] = k;
          break;
        }
  }
  ReloadPlan plan;
  plan.next.reserve(next.size());
  for (std::size_t n = 0; n < next.size(); ++n) {
    const VrrpInstance& c = next[n];
    InstanceMatch m;
    m.running = matched[n];
    if (m.running) {
      const VrrpInstance& old = *running[*m.running];
      if (old == c) {
        m.kind = InstanceMatch::Kind::unchanged;
      } else if (auto why = restart_reason(old, c)) {
        m.kind = InstanceMatch::Kind::restart;
        m.reason = *why;
      } else {
        m.kind = InstanceMatch::Kind::in_place;
      }
    }
    plan.next.push_back(std::move(m));
  }
  for (std::size_t k = 0; k < running.size(); ++k)
    if (!taken[k])
      plan.removed.push_back(k);
  return plan;
}

AddressChanges diff_addresses(const std::vector<PlacedAddress>& before,
                              const std::vector<PlacedAddress>& after) {
  auto same_place = [](const PlacedAddress& x, const PlacedAddress& y) {
    return x.spec.address == y.spec.address && x.ifindex == y.ifindex;
  };
  auto placed_in = [&](const std::vector<PlacedAddress>& list, const PlacedAddress& x) {
    return std::any_of(list.begin(), list.end(),
                       [&](const PlacedAddress& y) { return same_place(x, y); });
  };
  AddressChanges out;
  for (const auto& x : before)
    if (x.ifindex > 0 && !placed_in(after, x))
      out.remove.push_back(x);
  for (const auto& y : after) {
    if (std::find(before.begin(), before.end(), y) != before.end())
      continue; // unchanged
    if (y.ifindex == 0) {
      out.unplaced.push_back(y);
      continue;
    }
    out.add.push_back(y);
    if (!placed_in(before, y))
      out.announce.insert(y.spec.address.address);
  }
  return out;
}

namespace {
template <class T> std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out; // what `a` has and `b` does not
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) == b.end())
      out.push_back(x);
  return out;
}
} // namespace

RouteChanges diff_routes(const VrrpInstance& before, const VrrpInstance& after) {
  return {minus(before.virtual_routes, after.virtual_routes),
          minus(after.virtual_routes, before.virtual_routes),
          minus(before.virtual_rules, after.virtual_rules),
          minus(after.virtual_rules, before.virtual_rules)};
}

} // namespace vigil::vrrp
