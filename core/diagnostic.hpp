#pragma once
// Diagnostics: what the config loader (and later other validators) tell the operator.
// A diagnostic always points at an original file, line and column; it carries a copy of the
// source line so it can be rendered with a caret without access to the file.
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::core {

enum class Severity : std::uint8_t { warning, error };

/// A position in an original source file. `line` and `col` are 1-based; col counts bytes.
struct SourcePos {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  bool operator==(const SourcePos&) const = default;
};

struct Diagnostic {
  Severity severity = Severity::error;
  SourcePos pos;
  std::string message;
  std::string source_line; ///< the original line's text, empty when unknown
  std::string note;        ///< optional second line, e.g. "did you mean 'priority'?"
};

/// An ordered collection of diagnostics with counts.
class Diagnostics {
public:
  void add(Diagnostic d);
  void error(SourcePos pos, std::string message, std::string source_line = {},
             std::string note = {});
  void warning(SourcePos pos, std::string message, std::string source_line = {},
               std::string note = {});

  const std::vector<Diagnostic>& items() const { return items_; }
  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return items_.size() - errors_; }
  bool has_errors() const { return errors_ != 0; }
  void append(const Diagnostics& other);

private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
};

/// `file:line:col: error: message`, then the source line and a caret under the column, then the
/// note when present. Tabs in the source line are kept so the caret lines up in a terminal.
std::string render(const Diagnostic& d);

/// Every diagnostic rendered, followed by a summary line such as `2 errors, 1 warning`.
std::string render_all(const Diagnostics& ds);

} // namespace vigil::core
