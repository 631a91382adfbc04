#include "core/json.hpp"

#include <cstdio>

namespace vigil::core {

void Json::newline() {
  if (!pretty_)
    return;
  out_ += '\n';
  out_.append(stack_.size() * 2, ' ');
}

void Json::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty())
    return;
  if (!stack_.back().empty)
    out_ += ',';
  stack_.back().empty = false;
  newline();
}

Json& Json::begin_object() {
  before_value();
  out_ += '{';
  stack_.push_back({false});
  return *this;
}

Json& Json::end_object() {
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty)
    newline();
  out_ += '}';
  return *this;
}

Json& Json::begin_array() {
  before_value();
  out_ += '[';
  stack_.push_back({true});
  return *this;
}

Json& Json::end_array() {
  bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty)
    newline();
  out_ += ']';
  return *this;
}

Json& Json::key(std::string_view k) {
  before_value();
  write_string(k);
  out_ += pretty_ ? ": " : ":";
  after_key_ = true;
  return *this;
}

Json& Json::value(std::string_view s) {
  before_value();
  write_string(s);
  return *this;
}

void Json::write_string(std::string_view s) {
  out_ += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out_ += "\\\"";
      break;
    case '\\':
      out_ += "\\\\";
      break;
    case '\n':
      out_ += "\\n";
      break;
    case '\t':
      out_ += "\\t";
      break;
    case '\r':
      out_ += "\\r";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += char(c);
      }
    }
  }
  out_ += '"';
}

Json& Json::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

Json& Json::value(long long n) {
  before_value();
  out_ += std::to_string(n);
  return *this;
}

Json& Json::value(unsigned long long n) {
  before_value();
  out_ += std::to_string(n);
  return *this;
}

Json& Json::value(double d) {
  before_value();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  out_ += buf;
  return *this;
}

Json& Json::null() {
  before_value();
  out_ += "null";
  return *this;
}

Json& Json::raw(std::string_view json) {
  before_value();
  out_ += json;
  return *this;
}

Json& Json::number_text(std::string_view digits) {
  before_value();
  out_ += digits;
  return *this;
}

std::string seconds_text(long long micros) {
  bool neg = micros < 0;
  unsigned long long us = neg ? 0ULL - static_cast<unsigned long long>(micros)
                              : static_cast<unsigned long long>(micros);
  std::string s = (neg ? "-" : "") + std::to_string(us / 1000000);
  unsigned long long frac = us % 1000000;
  if (frac != 0) {
    std::string f = std::to_string(frac + 1000000).substr(1);
    while (f.back() == '0')
      f.pop_back();
    s += '.' + f;
  }
  return s;
}

} // namespace vigil::core
