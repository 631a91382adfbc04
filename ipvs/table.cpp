#include "ipvs/table.hpp"

#include <algorithm>

namespace vigil::ipvs {

std::vector<Op> plan(const Table& desired, const Table& actual) {
  std::vector<Op> ops;
  if (actual.empty()) { // a start: one operation per service and destination
    std::size_t n = desired.size();
    for (const auto& [key, want] : desired)
      n += want.destinations.size();
    ops.reserve(n);
  }
  // Services to create or change, then their destinations.
  for (const auto& [key, want] : desired) {
    auto have = actual.find(key);
    if (have == actual.end()) {
      ops.push_back({OpKind::add_service, want.service, std::nullopt});
      for (const auto& [dk, d] : want.destinations)
        ops.push_back({OpKind::add_destination, want.service, d});
      continue;
    }
    if (!(have->second.service == want.service))
      ops.push_back({OpKind::edit_service, want.service, std::nullopt});
    for (const auto& [dk, d] : have->second.destinations)
      if (!want.destinations.count(dk))
        ops.push_back({OpKind::delete_destination, want.service, d});
    for (const auto& [dk, d] : want.destinations) {
      auto cur = have->second.destinations.find(dk);
      if (cur == have->second.destinations.end())
        ops.push_back({OpKind::add_destination, want.service, d});
      else if (!(cur->second == d))
        ops.push_back({OpKind::edit_destination, want.service, d});
    }
  }
  // Services nobody wants any more (their destinations go with them).
  for (const auto& [key, have] : actual)
    if (!desired.count(key))
      ops.push_back({OpKind::delete_service, have.service, std::nullopt});
  return ops;
}

void order_for_trash(std::vector<Op>& ops, const std::vector<TrashKey>& removed) {
  const auto adds_count = std::count_if(
      ops.begin(), ops.end(), [](const Op& op) { return op.kind == OpKind::add_destination; });
  if (removed.empty() || adds_count < 2)
    return; // (a verdict's pass adds one destination at most: nothing to order)
  std::map<TrashKey, std::size_t> when; // the latest removal of each
  for (std::size_t i = 0; i < removed.size(); ++i)
    when[removed[i]] = i;
  std::vector<Op> head, adds, tail;
  std::vector<std::size_t> rank; // per add: removal index + 1, or 0 (not in the trash)
  for (auto& op : ops) {
    if (op.kind == OpKind::add_destination && op.destination) {
      auto it = when.find({op.service.key, {op.destination->address, op.destination->port}});
      rank.push_back(it == when.end() ? 0 : it->second + 1);
      adds.push_back(std::move(op));
    } else if (op.kind == OpKind::delete_service) {
      tail.push_back(std::move(op));
    } else {
      head.push_back(std::move(op));
    }
  }
  std::vector<std::size_t> order(adds.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return rank[a] > rank[b]; // revived first, newest removal first; fresh ones after, in order
  });
  ops = std::move(head);
  for (auto i : order)
    ops.push_back(std::move(adds[i]));
  for (auto& op : tail)
    ops.push_back(std::move(op));
}

std::vector<Op> removal(const Table& table, const std::set<ServiceKey>& owned, bool services_only) {
  std::vector<Op> ops;
  for (auto it = table.rbegin(); it != table.rend(); ++it) {
    if (!owned.count(it->first))
      continue;
    const ServiceEntry& entry = it->second;
    if (!services_only)
      for (auto d = entry.destinations.rbegin(); d != entry.destinations.rend(); ++d)
        ops.push_back({OpKind::delete_destination, entry.service, d->second});
    ops.push_back({OpKind::delete_service, entry.service, std::nullopt});
  }
  return ops;
}

} // namespace vigil::ipvs
