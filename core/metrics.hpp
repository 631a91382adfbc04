#pragma once
// The Prometheus text exposition format 0.0.4, written incrementally: a metric family (HELP
// and TYPE once) and then its samples, each with its labels escaped. Families must not repeat
// (the writer refuses a second family of the same name: its samples are dropped and counted,
// so a programming error shows in tests instead of a page Prometheus rejects).
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace vigil::core {

class Metrics {
public:
  enum class Type : std::uint8_t { counter, gauge };
  using Label = std::pair<std::string_view, std::string_view>;

  /// Starts the family `name`; the samples that follow belong to it.
  Metrics& family(std::string_view name, Type type, std::string_view help);
  /// One sample of the current family.
  Metrics& sample(std::initializer_list<Label> labels, double value);
  Metrics& sample(std::initializer_list<Label> labels, std::uint64_t value);
  Metrics& sample(double value) { return sample({}, value); }

  void reserve(std::size_t bytes) { out_.reserve(bytes); }
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }
  /// Samples dropped because their family was declared twice (0 in a correct program).
  std::size_t rejected() const { return rejected_; }

private:
  void labels(std::initializer_list<Label> labels);
  std::string out_;
  std::string current_;
  std::set<std::string, std::less<>> seen_;
  bool skipping_ = false;
  std::size_t rejected_ = 0;
};

} // namespace vigil::core
