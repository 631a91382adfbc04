#include "grammar/source_map.hpp"

#include <algorithm>

namespace vigil::grammar {

std::uint32_t SourceMap::add_file(std::string path, std::string text) {
  SourceFile f;
  f.path = std::move(path);
  std::size_t start = 0;
  while (start < text.size()) {
    f.starts.push_back(std::uint32_t(start));
    auto nl = text.find('\n', start);
    start = nl == std::string::npos ? text.size() + 1 : nl + 1;
  }
  f.starts.push_back(std::uint32_t(start));
  f.text = std::make_shared<const std::string>(std::move(text));
  files_.push_back(std::move(f));
  return std::uint32_t(files_.size() - 1);
}

std::size_t SourceMap::segment_of(std::size_t offset, std::size_t hint) const {
  // Most lookups come in increasing order, a few lines after the last one: look there first.
  auto from = segments_.begin();
  if (hint < segments_.size() && segments_[hint].out_offset <= offset) {
    for (std::size_t i = hint; i < segments_.size() && i < hint + 8; ++i)
      if (i + 1 == segments_.size() || offset < segments_[i + 1].out_offset)
        return i;
    from += std::ptrdiff_t(hint);
  }
  auto it = std::upper_bound(from, segments_.end(), offset,
                             [](std::size_t off, const Segment& s) { return off < s.out_offset; });
  if (it != segments_.begin())
    --it;
  return std::size_t(it - segments_.begin());
}

core::SourcePos SourceMap::resolve(std::size_t offset, std::size_t* hint) const {
  if (segments_.empty())
    return {};
  const std::size_t i = segment_of(offset, hint ? *hint : 0);
  if (hint)
    *hint = i;
  const Segment& s = segments_[i];
  std::uint32_t col = s.col;
  if (s.advance && offset >= s.out_offset)
    col += std::uint32_t(offset - s.out_offset);
  return pos(s.file, s.line, col);
}

std::pair<core::SourcePos, std::string_view> SourceMap::locate(std::size_t offset) const {
  if (segments_.empty())
    return {};
  const Segment& s = segments_[segment_of(offset, 0)];
  std::uint32_t col = s.col;
  if (s.advance && offset >= s.out_offset)
    col += std::uint32_t(offset - s.out_offset);
  return {pos(s.file, s.line, col), line_text(s.file, s.line)};
}

core::SourcePos SourceMap::pos(std::uint32_t file, std::uint32_t line, std::uint32_t col) const {
  return {files_[file].path, line, col};
}

std::string_view SourceMap::line_text(std::uint32_t file, std::uint32_t line) const {
  if (file >= files_.size())
    return {};
  const auto& f = files_[file];
  if (line == 0 || line > f.line_count())
    return {};
  return f.line(line - 1);
}

std::string_view SourceMap::line_text(const core::SourcePos& pos) const {
  for (std::uint32_t f = 0; f < files_.size(); ++f)
    if (files_[f].path == pos.file)
      return line_text(f, pos.line);
  return {};
}

} // namespace vigil::grammar
