#include "check/service.hpp"

#include <algorithm>
#include <limits>

namespace vigil::check {

namespace {

constexpr std::int64_t max_weight = std::numeric_limits<std::int32_t>::max();

} // namespace

Service::Service(const core::config::VirtualServer& vs) : vs_(&vs) {
  rs_.reserve(vs.real_servers.size());
  for (const auto& rs : vs.real_servers) {
    RsState st;
    for (const auto& k : rs.checkers)
      st.checkers.push_back(CheckerState{!k.alpha, 0});
    st.up = std::all_of(st.checkers.begin(), st.checkers.end(),
                        [](const CheckerState& c) { return c.up; });
    rs_.push_back(std::move(st));
  }
  for (std::size_t i = 0; i < rs_.size(); ++i)
    if (rs_[i].up)
      live_ += rs_weight(i);
}

std::uint32_t Service::rs_weight(std::size_t rs) const {
  std::int64_t w = vs_->real_servers[rs].weight;
  for (const auto& c : rs_[rs].checkers)
    w += c.delta;
  return std::uint32_t(std::clamp<std::int64_t>(w, 0, max_weight));
}

void Service::evaluate_quorum(ServiceEvents& out) {
  const std::int64_t live = live_;
  const std::int64_t quorum = vs_->quorum;
  const std::int64_t hysteresis = vs_->hysteresis;
  if (quorum_up_ && live < quorum - hysteresis) {
    quorum_up_ = false;
    out.push_back(QuorumChange{false, live});
  } else if (!quorum_up_ && live >= quorum + hysteresis) {
    quorum_up_ = true;
    out.push_back(QuorumChange{true, live});
  }
}

ServiceEvents Service::start() {
  ServiceEvents out;
  evaluate_quorum(out);
  return out;
}

ServiceEvents Service::set_checker(std::size_t rs, std::size_t checker, bool up,
                                   std::int64_t weight_delta) {
  ServiceEvents out;
  RsState& st = rs_[rs];
  CheckerState& c = st.checkers[checker];
  if (c.up == up && c.delta == weight_delta)
    return out;
  const std::int64_t before = st.up ? rs_weight(rs) : 0;
  c.up = up;
  c.delta = weight_delta;
  bool now_up = std::all_of(st.checkers.begin(), st.checkers.end(),
                            [](const CheckerState& k) { return k.up; });
  if (now_up != st.up) {
    st.up = now_up;
    out.push_back(RsChange{rs, now_up});
  }
  live_ += (st.up ? rs_weight(rs) : 0) - before;
  evaluate_quorum(out);
  return out;
}

ServiceEvents Service::shutdown() const {
  ServiceEvents out;
  if (!vs_->omega)
    return out;
  for (std::size_t i = 0; i < rs_.size(); ++i)
    if (rs_[i].up)
      out.push_back(RsChange{i, false});
  if (quorum_up_)
    out.push_back(QuorumChange{false, 0});
  return out;
}

std::vector<Destination> Service::desired() const {
  std::vector<Destination> out;
  out.reserve(rs_.size() + 1);
  const bool sorry_active = !quorum_up_ && vs_->sorry_server;
  for (std::size_t i = 0; i < rs_.size(); ++i) {
    const auto& rs = vs_->real_servers[i];
    Destination d;
    d.address = rs.address;
    d.port = rs.port;
    d.forwarding = rs.forwarding;
    d.uthreshold = rs.uthreshold.value_or(0);
    d.lthreshold = rs.lthreshold.value_or(0);
    if (rs_[i].up && !sorry_active) {
      d.weight = rs_weight(i);
    } else if (rs.inhibit_on_failure) {
      // dead, or alive but replaced by the sorry server: inhibited, as keepalived 2.2.7 does
      d.weight = 0;
    } else {
      continue; // dead, or alive but replaced by the sorry server
    }
    out.push_back(d);
  }
  if (vs_->sorry_server && (sorry_active || vs_->sorry_server_inhibit)) {
    Destination d;
    d.address = *vs_->sorry_server;
    d.port = vs_->sorry_server_port;
    d.forwarding = vs_->sorry_server_lvs_method.value_or(vs_->forwarding);
    d.weight = sorry_active ? 1 : 0;
    d.sorry = true;
    out.push_back(d);
  }
  return out;
}

} // namespace vigil::check
