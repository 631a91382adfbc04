#pragma once
// Maps offsets in the preprocessed text back to original files, lines and columns, through
// includes, conditionals, variable expansion and ~SEQ repetition.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/diagnostic.hpp"

namespace vigil::grammar {

struct SourceFile {
  std::string path; ///< as shown in diagnostics (as given, or relative to it)
  /// The whole original text, in one buffer whose address never changes (views of it stay
  /// valid while the file table grows).
  std::shared_ptr<const std::string> text;
  /// Where each line starts in `text`, and one more entry: where a line after the last would.
  std::vector<std::uint32_t> starts;

  std::size_t line_count() const { return starts.empty() ? 0 : starts.size() - 1; }
  /// Line `i` (0-based) without its line terminator ("\n" or "\r\n").
  std::string_view line(std::size_t i) const {
    // (a last line without a newline has its "next start" one past the end of the text)
    std::string_view l(text->data() + starts[i], starts[i + 1] - starts[i] - 1);
    if (!l.empty() && l.back() == '\r')
      l.remove_suffix(1);
    return l;
  }
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
  /// Adds a file's whole text; returns its id.
  std::uint32_t add_file(std::string path, std::string text);
  const SourceFile& file(std::uint32_t id) const { return files_[id]; }
  std::size_t file_count() const { return files_.size(); }

  /// Appends a segment; segments must be added in increasing `out_offset` order.
  void add_segment(const Segment& s) { segments_.push_back(s); }
  /// Room for `more` segments beyond those there are.
  /// (never less than doubling, so that many small files do not copy the table once each)
  void reserve_segments(std::size_t more) {
    if (segments_.size() + more > segments_.capacity())
      segments_.reserve(std::max(segments_.size() + more, 2 * segments_.capacity()));
  }

  /// The original position of output offset `offset`. `hint` (optional) remembers where the
  /// last lookup ended, which makes lookups in increasing order cheap.
  core::SourcePos resolve(std::size_t offset, std::size_t* hint = nullptr) const;
  /// The original position of output offset `offset` and the text of its source line.
  std::pair<core::SourcePos, std::string_view> locate(std::size_t offset) const;
  /// The original source line text of a resolved position (empty if unknown).
  std::string_view line_text(const core::SourcePos& pos) const;
  /// Convenience: a position for a whole file line (used by the preprocessor).
  core::SourcePos pos(std::uint32_t file, std::uint32_t line, std::uint32_t col) const;
  std::string_view line_text(std::uint32_t file, std::uint32_t line) const;

private:
  std::size_t segment_of(std::size_t offset, std::size_t hint) const;

  std::vector<SourceFile> files_;
  std::vector<Segment> segments_;
};

} // namespace vigil::grammar
