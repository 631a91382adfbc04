#pragma once
// A small JSON writer: objects, arrays, strings, numbers, booleans, null; compact (one line, for
// logs) or pretty (two-space indent, for --dump-config). Keys are written in the order given.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::core {

class Json {
public:
  explicit Json(bool pretty = false) : pretty_(pretty) {}

  Json& begin_object();
  Json& end_object();
  Json& begin_array();
  Json& end_array();
  Json& key(std::string_view k);
  Json& value(std::string_view s);
  Json& value(const char* s) { return value(std::string_view(s)); }
  Json& value(const std::string& s) { return value(std::string_view(s)); }
  Json& value(bool b);
  Json& value(long long n);
  Json& value(unsigned long long n);
  Json& value(int n) { return value(static_cast<long long>(n)); }
  Json& value(unsigned n) { return value(static_cast<unsigned long long>(n)); }
  Json& value(double d);
  Json& null();
  /// Inserts already-formed JSON text as a value.
  Json& raw(std::string_view json);
  /// A number written as given (e.g. exact decimal seconds).
  Json& number_text(std::string_view digits);

  /// Room for `bytes` of text (a large page rendered in parts grows once, not many times).
  void reserve(std::size_t bytes) { out_.reserve(bytes); }
  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

private:
  void before_value();
  void write_string(std::string_view s);
  void newline();

  struct Level {
    bool array;
    bool empty = true;
  };
  bool pretty_;
  bool after_key_ = false;
  std::vector<Level> stack_;
  std::string out_;
};

/// Exact decimal seconds of a microsecond count: 1, 0.5, 0.000001.
std::string seconds_text(long long micros);

} // namespace vigil::core
