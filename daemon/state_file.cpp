#include "daemon/state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <spdlog/logger.h>

namespace vigil::daemon {

std::string render_state(const std::vector<SavedInstance>& instances) {
  std::string out = "# vigild VRRP state: name vrid family interface state config-hash\n";
  for (const auto& i : instances)
    out += i.name + ' ' + std::to_string(i.vrid) + ' ' + i.family + ' ' +
           (i.interface.empty() ? "-" : i.interface) + ' ' + i.state + ' ' + i.config_hash + '\n';
  return out;
}

std::vector<SavedInstance> parse_state(const std::string& text) {
  std::vector<SavedInstance> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream f(line);
    SavedInstance s;
    std::string extra;
    if (!(f >> s.name >> s.vrid >> s.family >> s.interface >> s.state >> s.config_hash) ||
        (f >> extra) || s.vrid > 255)
      continue;
    if (s.interface == "-")
      s.interface.clear();
    out.push_back(std::move(s));
  }
  return out;
}

StateFile::StateFile(std::string path, spdlog::logger& log) : path_(std::move(path)), log_(log) {
  std::error_code ec;
  auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty())
    std::filesystem::create_directories(dir, ec);
  if (ec)
    log_.warn("state directory {}: {}; a restart will not adopt this run's VRRP state",
              dir.string(), ec.message());
}

StateFile::~StateFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::optional<PreviousRun> StateFile::previous() {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  struct stat st {};
  std::string text;
  char buf[4096];
  ssize_t n;
  bool ok = ::fstat(fd, &st) == 0;
  while (ok && (n = ::read(fd, buf, sizeof buf)) > 0)
    text.append(buf, std::size_t(n));
  ::close(fd);
  if (!ok)
    return std::nullopt;
  PreviousRun p;
  p.instances = parse_state(text);
  auto mtime = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  p.age = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now() -
                                                               mtime);
  return p;
}

void StateFile::write(const std::vector<SavedInstance>& instances) {
  std::string tmp = path_ + ".tmp";
  std::string text = render_state(instances);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size());
  int err = errno;
  if (ok && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    if (fd >= 0)
      ::close(fd);
    ::unlink(tmp.c_str());
    if (!failed_)
      log_.warn("cannot write the state file {}: {}; a restart will not adopt this run's VRRP "
                "state",
                path_, std::strerror(err));
    failed_ = true;
    return;
  }
  failed_ = false;
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd; // now the file itself: heartbeat() refreshes its mtime through it
  last_beat_ = std::chrono::steady_clock::now();
}

void StateFile::heartbeat() {
  auto now = std::chrono::steady_clock::now();
  if (fd_ < 0 || now - last_beat_ < std::chrono::milliseconds(10))
    return;
  last_beat_ = now;
  ::futimens(fd_, nullptr);
}

void StateFile::remove() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  ::unlink(path_.c_str());
}

} // namespace vigil::daemon
