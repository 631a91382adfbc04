#pragma once
// Follows files through inotify (never polling): track_file values and the like. A file is
// watched through its folder, so creation, rewrite, rename over it and removal are all seen.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace vigil::core::io {

class FileWatch {
public:
  /// Called with the file's content after every change, or nullopt once it is gone.
  using Handler = std::function<void(const std::optional<std::string>& content)>;

  /// Throws std::system_error when inotify is not available.
  explicit FileWatch(boost::asio::io_context& ctx);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  /// Starts watching `path` (absolute); returns its current content (nullopt: missing) so the
  /// caller starts from a known value. A folder that does not exist is reported as an error
  /// string in `why` and nothing is watched.
  std::optional<std::string> watch(const std::string& path, Handler on_change, std::string& why);

  /// Reads a small file at once (track files, procfs); nullopt when it cannot be read.
  static std::optional<std::string> read(const std::string& path);

private:
  void on_readable();

  std::unique_ptr<class Fd> fd_;
  struct Watched {
    std::string dir;
    std::string name;
    std::string path;
    Handler handler;
  };
  std::multimap<int, Watched> watches_; ///< by inotify watch descriptor of the folder
};

} // namespace vigil::core::io
