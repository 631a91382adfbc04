#pragma once
// genhash: the MD5 digest of a web page as HTTP_GET / SSL_GET see it, for the `digest` of a url
// block. Selected by `vigild --genhash ...` (or `-T`, as first option) or by running vigild
// under the name `genhash`. It uses the checkers' own HTTP code, so its digests are the ones the
// checks compare.
#include <string>
#include <vector>

namespace vigil::daemon {

/// Runs genhash with `args` (the options after --genhash). Returns the exit status: 0 with the
/// digest on stdout, 1 when the page could not be fetched (the reason on stderr), 2 on bad usage.
int run_genhash(const std::vector<std::string>& args);

std::string genhash_usage();

} // namespace vigil::daemon
