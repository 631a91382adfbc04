#pragma once
// Maps offsets in the preprocessed text back to original files, lines and columns, through
// includes, conditionals, variable expansion and ~SEQ repetition.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/diagnostic.hpp"

namespace vigil::grammar {

struct SourceFile {
  std::string path;               ///< as shown in diagnostics (as given, or relative to it)
  std::vector<std::string> lines; ///< original text, without line terminators
};

/// A run of output characters that came from one place. With `advance`, output character k of
/// the run came from column `col + k`; without, every character maps to `col` (generated text).
struct Segment {
  std::uint32_t out_offset; ///< offset of the run's first character in the output text
  std::uint32_t file;
  std::uint32_t line; ///< 1-based
  std::uint32_t col;  ///< 1-based
  bool advance;
};

class SourceMap {
public:
  std::uint32_t add_file(std::string path, std::vector<std::string> lines);
  const SourceFile& file(std::uint32_t id) const { return files_[id]; }
  std::size_t file_count() const { return files_.size(); }

  /// Appends a segment; segments must be added in increasing `out_offset` order.
  void add_segment(const Segment& s) { segments_.push_back(s); }

  /// The original position of output offset `offset`.
  core::SourcePos resolve(std::size_t offset) const;
  /// The original position of output offset `offset` and the text of its source line.
  std::pair<core::SourcePos, std::string_view> locate(std::size_t offset) const;
  /// The original source line text of a resolved position (empty if unknown).
  std::string_view line_text(const core::SourcePos& pos) const;
  /// Convenience: a position for a whole file line (used by the preprocessor).
  core::SourcePos pos(std::uint32_t file, std::uint32_t line, std::uint32_t col) const;
  std::string_view line_text(std::uint32_t file, std::uint32_t line) const;

private:
  std::vector<SourceFile> files_;
  std::vector<Segment> segments_;
};

} // namespace vigil::grammar
