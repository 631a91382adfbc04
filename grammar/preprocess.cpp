#include "grammar/preprocess.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

namespace vigil::grammar {
namespace {

constexpr int max_include_depth = 32;
constexpr int max_expansion_depth = 32;

/// Where a piece of text came from.
struct Origin {
  std::uint32_t file = 0;
  std::uint32_t line = 0;
  std::uint32_t col = 1;
  bool advance = true;
  Origin shifted(std::size_t by) const {
    Origin o = *this;
    if (advance)
      o.col += std::uint32_t(by);
    return o;
  }
};

struct Piece {
  std::string text;
  Origin origin;
};
using Line = std::vector<Piece>;

std::string line_string(const Line& line) {
  std::string s;
  for (const auto& p : line)
    s += p.text;
  return s;
}

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

/// A line's content: its length before a `#` or `!` comment that is outside quotes, whether
/// that content holds a `$` or a `~` (so most lines skip the expansion searches), and whether
/// the line holds a NUL byte.
struct Content {
  std::size_t length;
  bool may_expand;
  bool nul;
};

/// Scans `s` from `from` (the first non-blank: indentation holds none of the special characters).
Content content_of(std::string_view s, std::size_t from) {
  // Most characters are none of these: one table lookup each.
  static constexpr auto special = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {'"', '\'', '#', '!', '$', '~', '\\', '\0'})
      t[c] = true;
    return t;
  }();
  bool in_double = false;
  bool in_single = false;
  bool may_expand = false;
  std::size_t comment = s.size();
  for (std::size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (!special[static_cast<unsigned char>(c)])
      continue;
    if (c == '\0')
      return {comment, may_expand, true};
    if (comment != s.size())
      continue; // (past a comment only a NUL matters)
    if (c == '$' || c == '~') {
      may_expand = true;
    } else if (c == '\\') {
      if (in_double && i + 1 < s.size())
        ++i;
    } else if (in_double) {
      if (c == '"')
        in_double = false;
    } else if (in_single) {
      if (c == '\'')
        in_single = false;
    } else if (c == '"') {
      in_double = true;
    } else if (c == '\'') {
      in_single = true;
    } else if (c == '#' || c == '!') {
      comment = i;
    }
  }
  return {comment, may_expand, false};
}

std::size_t skip_blanks(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
    ++i;
  return i;
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string dirname_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

/// The whole file; nullopt (and `why`) when it cannot be read.
std::optional<std::string> read_file(const std::string& path, std::string& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::string data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    data.reserve(std::size_t(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      why = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0)
      break;
    data.append(buf, std::size_t(n));
  }
  ::close(fd);
  return data;
}

class Preprocessor {
public:
  Preprocessor(const PreprocessOptions& options, core::Diagnostics& diags)
      : options_(options), diags_(diags) {}

  Preprocessed take() { return std::move(out_); }

  void run_file(const std::string& display_path, std::string text, const std::string& real_path) {
    std::uint32_t id = out_.map.add_file(display_path, std::move(text));
    stack_.push_back({real_path, display_path, dirname_of(display_path)});
    process_file(id);
    stack_.pop_back();
  }

private:
  struct Frame {
    std::string real_path;
    std::string display_path;
    std::string dir;
  };
  struct Definition {
    std::vector<Line> lines;
    std::size_t bytes() const {
      std::size_t n = 0;
      for (const auto& l : lines)
        for (const auto& p : l)
          n += p.text.size();
      return n;
    }
  };

  void error(const Origin& o, std::string msg) {
    diags_.error(out_.map.pos(o.file, o.line, o.col), std::move(msg),
                 std::string(out_.map.line_text(o.file, o.line)));
  }
  void warning(const Origin& o, std::string msg) {
    diags_.warning(out_.map.pos(o.file, o.line, o.col), std::move(msg),
                   std::string(out_.map.line_text(o.file, o.line)));
  }

  void process_file(std::uint32_t id) {
    // Including a file adds to the map's file table, which may move the SourceFile (not the
    // text its lines are views of).
    const std::size_t count = out_.map.file(id).line_count();
    // Room for the whole file at once (most lines go out as they are).
    // (never less than doubling: many small includes must not copy the text once each)
    if (const std::size_t need = out_.text.size() + out_.map.file(id).text->size();
        need > out_.text.capacity())
      out_.text.reserve(std::max(need, 2 * out_.text.capacity()));
    out_.map.reserve_segments(count);
    std::optional<std::pair<std::string, Definition>> pending; // multi-line definition
    for (std::size_t n = 0; n < count; ++n) {
      const std::string_view raw = out_.map.file(id).line(n);
      Origin origin{id, std::uint32_t(n + 1), 1, true};
      const std::size_t indent = skip_blanks(raw, 0);
      const Content content = content_of(raw, indent);
      if (content.nul) {
        error(origin, "line contains a NUL byte; the line is ignored");
        continue;
      }
      std::string_view text = rtrim(raw.substr(0, content.length));

      if (pending) {
        bool more = !text.empty() && text.back() == '\\';
        if (more)
          text = rtrim(text.substr(0, text.size() - 1));
        std::size_t start = skip_blanks(text, 0);
        pending->second.lines.push_back(
            {Piece{std::string(text.substr(start)), origin.shifted(start)}});
        if (!more) {
          vars_[pending->first] = std::move(pending->second);
          pending.reset();
        }
        continue;
      }

      std::size_t i = std::min(indent, text.size());
      if (i == text.size())
        continue;

      // @ID / @^ID conditionals.
      if (text[i] == '@') {
        bool negate = i + 1 < text.size() && text[i + 1] == '^';
        std::size_t id_start = i + (negate ? 2 : 1);
        std::size_t id_end = id_start;
        while (id_end < text.size() && text[id_end] != ' ' && text[id_end] != '\t')
          ++id_end;
        std::string_view cid = text.substr(id_start, id_end - id_start);
        if (cid.empty()) {
          error(origin.shifted(i), "'@' conditional without a config id");
          continue;
        }
        bool match = cid == options_.config_id;
        if (match == negate)
          continue;
        i = skip_blanks(text, id_end);
        if (i == text.size())
          continue;
      }

      // $NAME=value definitions.
      if (text[i] == '$' && i + 1 < text.size() && is_name_start(text[i + 1])) {
        std::size_t name_end = i + 1;
        while (name_end < text.size() && is_name_char(text[name_end]))
          ++name_end;
        std::size_t eq = skip_blanks(text, name_end);
        if (eq < text.size() && text[eq] == '=') {
          std::string name(text.substr(i + 1, name_end - i - 1));
          std::string_view value = text.substr(eq + 1);
          std::size_t vstart = skip_blanks(value, 0);
          Origin vorigin = origin.shifted(eq + 1 + vstart);
          value = value.substr(vstart);
          bool more = !value.empty() && value.back() == '\\';
          if (more)
            value = rtrim(value.substr(0, value.size() - 1));
          Definition def;
          if (!more || !value.empty())
            def.lines.push_back({Piece{std::string(value), vorigin}});
          if (more)
            pending.emplace(std::move(name), std::move(def));
          else
            vars_[name] = std::move(def);
          continue;
        }
      }

      // include PATTERN
      std::size_t word_end = text[i] == 'i' ? i : text.size();
      while (word_end < text.size() && text[word_end] != ' ' && text[word_end] != '\t')
        ++word_end;
      std::string_view first_word = text.substr(i, word_end - i);
      if (text[i] == 'i' && first_word.starts_with("include") &&
          (first_word == "include" || first_word == "includer" || first_word == "includem" ||
           first_word == "includew" || first_word == "includeb" || first_word == "includea")) {
        std::size_t p = skip_blanks(text, word_end);
        std::string_view pattern = text.substr(p);
        if (pattern.size() >= 2 && (pattern.front() == '"' || pattern.front() == '\'') &&
            pattern.back() == pattern.front())
          pattern = pattern.substr(1, pattern.size() - 2);
        if (pattern.empty()) {
          error(origin.shifted(i), "'include' needs a file name or pattern");
          continue;
        }
        include(std::string(pattern), origin.shifted(p), first_word != "include");
        continue;
      }

      std::string_view rest = text.substr(i);
      if (!content.may_expand || (rest.find('$') == std::string_view::npos &&
                                  rest.find("~SEQ") == std::string_view::npos)) {
        emit_plain(rest, origin.shifted(i)); // the common case: nothing to expand
        continue;
      }
      Line line{Piece{std::string(rest), origin.shifted(i)}};
      process_line(line, 0);
    }
    if (pending) {
      // A definition whose last line still ended with '\': keep what we have.
      vars_[pending->first] = std::move(pending->second);
    }
  }

  void include(const std::string& pattern, const Origin& at, bool strict) {
    if (int(stack_.size()) > max_include_depth) {
      error(at, "includes nested deeper than " + std::to_string(max_include_depth) +
                    " levels (is there an include loop?)");
      return;
    }
    std::string full = pattern;
    if (full.front() != '/' && stack_.back().dir != ".")
      full = stack_.back().dir + "/" + full;
    glob_t g{};
    int rc = ::glob(full.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0)
      for (std::size_t k = 0; k < g.gl_pathc; ++k)
        matches.emplace_back(g.gl_pathv[k]);
    globfree(&g);
    if (rc == GLOB_NOMATCH || matches.empty()) {
      std::string msg = "include '" + pattern + "' matches no file";
      if (strict || options_.all_config)
        error(at, msg);
      else
        warning(at, msg);
      return;
    }
    if (rc != 0) {
      error(at, "include '" + pattern + "': cannot read the folder");
      return;
    }
    for (const auto& path : matches) {
      char resolved[PATH_MAX];
      std::string real = ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
      auto cyc = std::find_if(stack_.begin(), stack_.end(),
                              [&](const Frame& f) { return f.real_path == real; });
      if (cyc != stack_.end()) {
        std::string chain;
        for (auto it = cyc; it != stack_.end(); ++it)
          chain += it->display_path + " -> ";
        chain += path;
        error(at, "include cycle: " + chain);
        continue;
      }
      std::string why;
      auto text = read_file(path, why);
      if (!text) {
        error(at, "cannot read included file '" + path + "': " + why);
        continue;
      }
      run_file(path, std::move(*text), real);
    }
  }

  /// Handles ~SEQ, expands variables and emits the resulting lines.
  void process_line(const Line& line, int depth) {
    if (budget_exhausted_ || line.empty())
      return;
    if (depth == 0)
      statement_ = line.front().origin;
    if (depth > max_expansion_depth) {
      error(line.front().origin, "variable expansion nested deeper than " +
                                     std::to_string(max_expansion_depth) +
                                     " levels (is a variable defined in terms of itself?)");
      return;
    }
    if (expand_seq(line, depth))
      return;
    std::vector<Line> lines;
    lines.emplace_back();
    expansion_failed_ = false;
    expand_vars(line, lines, depth);
    if (expansion_failed_)
      return; // reported once; the half-expanded line would only add noise
    for (auto& l : lines) {
      std::string s = line_string(l);
      if (s.find("~SEQ") != std::string::npos && lines.size() > 1) {
        process_line(l, depth + 1);
        continue;
      }
      emit(l);
    }
  }

  /// Finds `~SEQ(`; repeats the rest of the line. Returns false when the line has none.
  bool expand_seq(const Line& line, int depth) {
    // ~SEQ is looked for in the line's first piece that contains it.
    for (std::size_t pi = 0; pi < line.size(); ++pi) {
      const Piece& piece = line[pi];
      auto at = piece.text.find("~SEQ");
      if (at == std::string::npos)
        continue;
      bool hex = at + 5 <= piece.text.size() && piece.text.compare(at, 5, "~SEQx") == 0;
      std::size_t open = at + (hex ? 5 : 4);
      Origin where = piece.origin.shifted(at);
      if (open >= piece.text.size() || piece.text[open] != '(') {
        error(where, "'~SEQ' must be followed by '(var, [start,] [step,] end)'");
        return true;
      }
      auto close = piece.text.find(')', open);
      if (close == std::string::npos) {
        error(where, "'~SEQ(' without a closing ')'");
        return true;
      }
      // Arguments may use variables.
      std::vector<Line> argl(1);
      expand_vars(Line{Piece{piece.text.substr(open + 1, close - open - 1), where}}, argl, depth);
      std::string args = argl.empty() ? std::string() : line_string(argl.front());
      std::vector<std::string> parts;
      std::size_t s = 0;
      while (true) {
        auto comma = args.find(',', s);
        std::string part = args.substr(s, comma == std::string::npos ? args.npos : comma - s);
        auto b = part.find_first_not_of(" \t");
        auto e = part.find_last_not_of(" \t");
        parts.push_back(b == std::string::npos ? std::string() : part.substr(b, e - b + 1));
        if (comma == std::string::npos)
          break;
        s = comma + 1;
      }
      if (parts.size() < 2 || parts.size() > 4 || parts[0].empty() || !is_name_start(parts[0][0])) {
        error(where, "'~SEQ' needs (var, end), (var, start, end) or (var, start, step, end)");
        return true;
      }
      std::vector<long long> nums;
      for (std::size_t k = 1; k < parts.size(); ++k) {
        char* endp = nullptr;
        errno = 0;
        long long v = std::strtoll(parts[k].c_str(), &endp, 0);
        if (parts[k].empty() || *endp != '\0' || errno != 0) {
          error(where, "'~SEQ' argument '" + parts[k] + "' is not an integer");
          return true;
        }
        nums.push_back(v);
      }
      long long start = 1, step = 1, end = 0;
      if (nums.size() == 1) {
        end = nums[0];
      } else if (nums.size() == 2) {
        start = nums[0];
        end = nums[1];
      } else {
        start = nums[0];
        step = nums[1];
        end = nums[2];
      }
      if (step == 0) {
        error(where, "'~SEQ' step must not be 0");
        return true;
      }
      // prefix (pieces before, and this piece's text before ~SEQ) + rest after ')'.
      Line prefix(line.begin(), line.begin() + std::ptrdiff_t(pi));
      if (at > 0)
        prefix.push_back(Piece{piece.text.substr(0, at), piece.origin});
      Line rest;
      if (close + 1 < piece.text.size()) {
        std::size_t r = close + 1;
        while (r < piece.text.size() && (piece.text[r] == ' ' || piece.text[r] == '\t'))
          ++r;
        rest.push_back(Piece{piece.text.substr(r), piece.origin.shifted(r)});
      }
      rest.insert(rest.end(), line.begin() + std::ptrdiff_t(pi) + 1, line.end());

      const std::string& var = parts[0];
      auto saved = vars_.find(var) != vars_.end() ? std::optional<Definition>(vars_[var])
                                                  : std::optional<Definition>();
      for (long long v = start; step > 0 ? v <= end : v >= end; v += step) {
        if (!spend(0))
          break;
        char buf[32];
        std::snprintf(buf, sizeof buf, hex ? "%llx" : "%lld", v);
        Origin gen = where;
        gen.advance = false;
        vars_[var] = Definition{{Line{Piece{buf, gen}}}};
        Line combined = prefix;
        combined.insert(combined.end(), rest.begin(), rest.end());
        if (!combined.empty())
          process_line(combined, depth + 1);
        if (out_.text.size() > options_.max_output_bytes) {
          error(where, "'~SEQ' expansion makes the configuration larger than " +
                           std::to_string(options_.max_output_bytes >> 20) + " MiB");
          budget_exhausted_ = true;
          break;
        }
        if (step > 0 ? v > LLONG_MAX - step : v < LLONG_MIN - step)
          break; // the next value would overflow: it is past `end` anyway
      }
      if (saved)
        vars_[var] = *saved;
      else
        vars_.erase(var);
      return true;
    }
    return false;
  }

  /// Appends the expansion of `line` to `out` (a multi-line value starts new lines).
  void expand_vars(const Line& line, std::vector<Line>& out, int depth) {
    for (const Piece& piece : line) {
      const std::string& t = piece.text;
      std::size_t lit_start = 0;
      std::size_t i = 0;
      auto flush = [&](std::size_t upto) {
        if (upto > lit_start)
          out.back().push_back(
              Piece{t.substr(lit_start, upto - lit_start), piece.origin.shifted(lit_start)});
      };
      while (i < t.size()) {
        if (t[i] != '$') {
          ++i;
          continue;
        }
        std::size_t name_start;
        std::size_t name_end;
        std::size_t after;
        if (i + 1 < t.size() && t[i + 1] == '{') {
          name_start = i + 2;
          name_end = t.find('}', name_start);
          if (name_end == std::string::npos) {
            ++i;
            continue;
          }
          after = name_end + 1;
        } else if (i + 1 < t.size() && is_name_start(t[i + 1])) {
          name_start = i + 1;
          name_end = name_start;
          while (name_end < t.size() && is_name_char(t[name_end]))
            ++name_end;
          after = name_end;
        } else {
          ++i;
          continue;
        }
        std::string name = t.substr(name_start, name_end - name_start);
        Origin at = piece.origin.shifted(i);
        std::optional<std::string> builtin;
        if (name == "_HASH")
          builtin = "#";
        else if (name == "_BANG")
          builtin = "!";
        else if (name == "_PWD")
          builtin = stack_.empty() ? std::string(".") : stack_.back().dir;
        auto def = vars_.find(name);
        if (!builtin && def == vars_.end()) {
          ++i; // undefined: left as written, like keepalived
          continue;
        }
        flush(i);
        if (builtin) {
          Origin gen = at;
          gen.advance = false;
          out.back().push_back(Piece{*builtin, gen});
        } else if (!spend(def->second.bytes())) {
          expansion_failed_ = true;
          return;
        } else if (depth >= max_expansion_depth) {
          if (!expansion_failed_)
            error(at, "variable '$" + name + "' expands into itself more than " +
                          std::to_string(max_expansion_depth) + " times");
          expansion_failed_ = true;
        } else {
          const auto lines = def->second.lines; // copy: expansion may redefine
          for (std::size_t k = 0; k < lines.size(); ++k) {
            if (k > 0)
              out.emplace_back();
            std::vector<Line> sub(1);
            expand_vars(lines[k], sub, depth + 1);
            out.back().insert(out.back().end(), sub.front().begin(), sub.front().end());
            for (std::size_t j = 1; j < sub.size(); ++j)
              out.push_back(std::move(sub[j]));
          }
        }
        i = after;
        lit_start = after;
      }
      flush(t.size());
    }
  }

  void emit_plain(std::string_view text, const Origin& o) {
    out_.map.add_segment(
        Segment{std::uint32_t(out_.text.size()), o.file, o.line, o.col, o.advance});
    out_.text += text;
    out_.text += '\n';
  }

  void emit(const Line& line) {
    bool any = false;
    for (const auto& p : line)
      if (p.text.find_first_not_of(" \t") != std::string::npos)
        any = true;
    if (!any)
      return;
    for (const auto& p : line) {
      if (p.text.empty())
        continue;
      out_.map.add_segment(Segment{std::uint32_t(out_.text.size()), p.origin.file, p.origin.line,
                                   p.origin.col, p.origin.advance});
      out_.text += p.text;
    }
    out_.text += '\n';
  }

  const PreprocessOptions& options_;
  core::Diagnostics& diags_;
  Preprocessed out_;
  std::vector<Frame> stack_;
  bool expansion_failed_ = false;

  /// Counts one expansion step producing about `bytes`; false (reported once) when the
  /// configuration's expansion budget is spent.
  /// Reported at the statement being expanded (the innermost reference may sit in a variable
  /// definition far away).
  bool spend(std::size_t bytes) {
    if (budget_exhausted_)
      return false;
    ++steps_;
    expanded_bytes_ += bytes;
    if (steps_ <= options_.max_expansion_steps && expanded_bytes_ <= options_.max_output_bytes)
      return true;
    budget_exhausted_ = true;
    error(statement_, steps_ > options_.max_expansion_steps
                          ? "variable and '~SEQ' expansion takes more than " +
                                std::to_string(options_.max_expansion_steps) +
                                " steps (is a variable used many times inside another?)"
                          : "variable and '~SEQ' expansion makes the configuration larger than " +
                                std::to_string(options_.max_output_bytes >> 20) + " MiB");
    return false;
  }
  std::uint64_t steps_ = 0;
  Origin statement_{};
  std::size_t expanded_bytes_ = 0;
  bool budget_exhausted_ = false;
  std::map<std::string, Definition, std::less<>> vars_;
};

} // namespace

PreprocessResult preprocess_file(const std::string& path, const PreprocessOptions& options,
                                 core::Diagnostics& diags) {
  PreprocessResult result;
  std::string why;
  auto text = read_file(path, why);
  if (!text) {
    diags.error({path, 0, 0}, "cannot read configuration file: " + why);
    result.main_file_missing = true;
    return result;
  }
  char resolved[PATH_MAX];
  std::string real = ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
  Preprocessor pp(options, diags);
  pp.run_file(path, std::move(*text), real);
  result.out = pp.take();
  return result;
}

Preprocessed preprocess_text(const std::string& name, std::string_view text,
                             const PreprocessOptions& options, core::Diagnostics& diags) {
  Preprocessor pp(options, diags);
  pp.run_file(name, std::string(text), name);
  return pp.take();
}

} // namespace vigil::grammar
