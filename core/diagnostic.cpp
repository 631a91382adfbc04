#include "core/diagnostic.hpp"

namespace vigil::core {

void Diagnostics::add(Diagnostic d) {
  if (d.severity == Severity::error)
    ++errors_;
  items_.push_back(std::move(d));
}

void Diagnostics::error(SourcePos pos, std::string message, std::string source_line,
                        std::string note) {
  add({Severity::error, std::move(pos), std::move(message), std::move(source_line),
       std::move(note)});
}

void Diagnostics::warning(SourcePos pos, std::string message, std::string source_line,
                          std::string note) {
  add({Severity::warning, std::move(pos), std::move(message), std::move(source_line),
       std::move(note)});
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_)
    add(d);
}

std::string render(const Diagnostic& d) {
  std::string out;
  if (!d.pos.file.empty()) {
    out += d.pos.file;
    if (d.pos.line != 0) {
      out += ':' + std::to_string(d.pos.line);
      if (d.pos.col != 0)
        out += ':' + std::to_string(d.pos.col);
    }
    out += ": ";
  }
  out += d.severity == Severity::error ? "error: " : "warning: ";
  out += d.message;
  out += '\n';
  if (!d.source_line.empty()) {
    out += "  ";
    out += d.source_line;
    out += "\n  ";
    // Keep tabs so the caret sits under the right character whatever the tab width.
    for (std::uint32_t i = 1; i < d.pos.col && i - 1 < d.source_line.size(); ++i)
      out += d.source_line[i - 1] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  if (!d.note.empty()) {
    out += "  note: ";
    out += d.note;
    out += '\n';
  }
  return out;
}

std::string render_all(const Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds.items())
    out += render(d);
  auto plural = [](std::size_t n, const char* word) {
    return std::to_string(n) + ' ' + word + (n == 1 ? "" : "s");
  };
  out += plural(ds.error_count(), "error") + ", " + plural(ds.warning_count(), "warning") + '\n';
  return out;
}

} // namespace vigil::core
