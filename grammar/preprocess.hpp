#pragma once
// The line-level preprocessor of the keepalived.conf language:
//   - `#` and `!` comments to end of line (not inside quotes),
//   - `@ID line` / `@^ID line` conditionals against the config id,
//   - `$NAME=value` definitions (multi-line with a trailing `\`), `$NAME` / `${NAME}` use,
//     built-ins `${_PWD}`, `${_HASH}`, `${_BANG}`,
//   - `~SEQ(var, [start,] [step,] end)` repetition of the rest of a line (`~SEQx`: hex values),
//   - `include PATTERN` (glob and brace patterns, relative to the including file's folder).
// Its output is plain statement text plus a SourceMap back to the original files.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/diagnostic.hpp"
#include "grammar/source_map.hpp"

namespace vigil::grammar {

struct PreprocessOptions {
  std::string config_id;   ///< matched by `@ID` (keepalived: -i, default the short host name)
  bool all_config = false; ///< `-e`: an include that matches nothing is an error
  /// Guards against runaway ~SEQ and variable expansion (a variable used twice in a variable
  /// used twice ... grows exponentially): the bytes variables and ~SEQ may produce, and how
  /// many variable references and ~SEQ steps may be expanded, in the whole configuration.
  std::size_t max_output_bytes = std::size_t(256) << 20;
  std::uint64_t max_expansion_steps = std::uint64_t(1) << 22;
};

struct Preprocessed {
  std::string text; ///< one statement line per '\n'-terminated line
  SourceMap map;
};

/// Reads and preprocesses `path`. A file that cannot be read is reported as an error at the
/// include site (or without a position for the top file); `main_file_missing` tells the caller
/// that the top file itself could not be read (exit code 4 for `-t`).
struct PreprocessResult {
  Preprocessed out;
  bool main_file_missing = false;
};
PreprocessResult preprocess_file(const std::string& path, const PreprocessOptions& options,
                                 core::Diagnostics& diags);

/// Preprocesses in-memory text named `name`; includes are relative to the current directory.
Preprocessed preprocess_text(const std::string& name, std::string_view text,
                             const PreprocessOptions& options, core::Diagnostics& diags);

} // namespace vigil::grammar
