#include "ipvs/table.hpp"

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

} // namespace vigil::ipvs
