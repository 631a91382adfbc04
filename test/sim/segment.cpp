#include "segment.hpp"

#include <algorithm>
#include <stdexcept>

namespace vigil::sim {

Segment::Segment(Duration latency, double loss, unsigned seed)
    : latency_(latency), loss_(loss), rng_(seed) {}

Node& Segment::add(const std::string& name, const char* address, vrrp::Settings settings) {
  auto addr = *core::IpAddress::parse(address);
  nodes_.push_back(std::make_unique<Node>(
      Node{name, addr, vrrp::Instance(std::move(settings)), 0, true, {}, {}, {}}));
  nodes_.back()->instance.set_primary_address(addr);
  by_vrid_[nodes_.back()->instance.settings().vrid].push_back(nodes_.size() - 1);
  queued_.emplace_back();
  return *nodes_.back();
}

Node& Segment::node(const std::string& name) {
  for (auto& n : nodes_)
    if (n->name == name)
      return *n;
  throw std::runtime_error("no node " + name);
}

std::size_t Segment::index_of(const Node& n) const {
  std::size_t i = 0;
  while (nodes_[i].get() != &n)
    ++i;
  return i;
}

void Segment::refresh(std::size_t i) {
  const Node& n = *nodes_[i];
  std::optional<TimePoint> d;
  if (n.alive)
    d = n.instance.next_deadline();
  if (d == queued_[i])
    return;
  if (queued_[i])
    timers_.erase({*queued_[i], i});
  if (d)
    timers_.emplace(*d, i);
  queued_[i] = d;
}

void Segment::start(Node& n) {
  n.alive = true;
  execute(index_of(n), n.instance.start(now_));
}

void Segment::start_all() {
  for (auto& n : nodes_)
    start(*n);
}

void Segment::crash(Node& n) {
  n.alive = false;
  n.instance.shutdown(now_); // discard its effects: a crashed host sends nothing
  refresh(index_of(n));
}

void Segment::stop(Node& n) {
  std::size_t i = index_of(n);
  execute(i, n.instance.shutdown(now_));
  n.alive = false;
  refresh(i);
}

void Segment::execute(std::size_t index, const vrrp::Effects& fx) {
  refresh(index); // every call into an instance is followed by executing its effects
  Node& n = *nodes_[index];
  for (const auto& e : fx) {
    if (auto* t = std::get_if<vrrp::Transition>(&e)) {
      n.transitions.emplace_back(now_, *t);
    } else if (auto* a = std::get_if<vrrp::SendAdvert>(&e)) {
      const auto& s = n.instance.settings();
      vrrp::Advert adv;
      adv.version = s.version;
      adv.vrid = s.vrid;
      adv.priority = a->priority;
      adv.interval =
          s.version == 2
              ? std::uint16_t(
                    std::chrono::duration_cast<std::chrono::seconds>(s.advert_int).count())
              : std::uint16_t(s.advert_int / std::chrono::milliseconds(10));
      adv.auth = s.auth;
      adv.auth_data = s.auth_data;
      adv.addresses = s.vips;
      auto dst = *core::IpAddress::parse("224.0.0.18");
      wire_.push(
          Packet{now_ + latency_, index, vrrp::encode(adv, n.address, dst, s.checksum), seq_++});
      n.adverts_sent.push_back(now_);
      advert_log_.emplace_back(now_, index);
    } else if (std::holds_alternative<vrrp::SendGarp>(e)) {
      n.garps_sent.push_back(now_);
    }
  }
}

void Segment::deliver(const Packet& p) {
  const Node& from = *nodes_[p.from];
  // The codec's verdict does not depend on the receiver: decode once.
  auto d = vrrp::decode(p.bytes, from.address, *core::IpAddress::parse("224.0.0.18"));
  if (d.drop != vrrp::Drop::none)
    return;
  // Routed by VRID, as the daemon does: an advert reaches only the instances of its VRID.
  for (std::size_t i : by_vrid_[d.advert.vrid]) {
    Node& to = *nodes_[i];
    if (i == p.from || !to.alive || to.partition != from.partition)
      continue;
    if (loss_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < loss_)
      continue;
    vrrp::Received r{d.advert, from.address, 255, true, d.form};
    execute(i, to.instance.receive(r, now_));
  }
}

void Segment::run_until(TimePoint t) {
  // Catch up with what the caller changed directly (alive, calls into an instance).
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    refresh(i);
  for (;;) {
    std::optional<TimePoint> next;
    std::size_t who = 0;
    if (!timers_.empty())
      next = timers_.begin()->first, who = timers_.begin()->second;
    if (wire_.empty() && !next)
      break; // nothing pending (e.g. no node started yet)
    bool packet_first = !wire_.empty() && (!next || wire_.top().at <= *next);
    TimePoint at = packet_first ? wire_.top().at : *next;
    if (at > t)
      break;
    now_ = at;
    if (packet_first) {
      Packet p = wire_.top();
      wire_.pop();
      deliver(p); // a packet already on the wire arrives even if its sender died
    } else {
      execute(who, nodes_[who]->instance.tick(now_));
    }
  }
  now_ = t;
}

std::vector<Node*> Segment::masters() {
  std::vector<Node*> out;
  for (auto& n : nodes_)
    if (n->alive && n->instance.state() == vrrp::State::master)
      out.push_back(n.get());
  return out;
}

std::optional<TimePoint> Segment::last_advert_before(TimePoint t) const {
  std::optional<TimePoint> last;
  for (const auto& [at, who] : advert_log_)
    if (at <= t)
      last = at;
  return last;
}

} // namespace vigil::sim
