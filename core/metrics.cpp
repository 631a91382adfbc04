#include "core/metrics.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace vigil::core {

namespace {

void escape_help(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void escape_label(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

} // namespace

Metrics& Metrics::family(std::string_view name, Type type, std::string_view help) {
  current_ = name;
  skipping_ = !seen_.insert(std::string(name)).second;
  if (skipping_)
    return *this;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  escape_help(out_, help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += type == Type::counter ? " counter\n" : " gauge\n";
  return *this;
}

void Metrics::labels(std::initializer_list<Label> labels) {
  out_ += current_;
  if (labels.size() == 0)
    return;
  out_ += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first)
      out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    escape_label(out_, v);
    out_ += '"';
  }
  out_ += '}';
}

Metrics& Metrics::sample(std::initializer_list<Label> l, double value) {
  if (skipping_) {
    ++rejected_;
    return *this;
  }
  labels(l);
  out_ += ' ';
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, ec == std::errc() ? end : buf);
  }
  out_ += '\n';
  return *this;
}

Metrics& Metrics::sample(std::initializer_list<Label> l, std::uint64_t value) {
  if (skipping_) {
    ++rejected_;
    return *this;
  }
  labels(l);
  out_ += ' ';
  out_ += std::to_string(value);
  out_ += '\n';
  return *this;
}

} // namespace vigil::core
