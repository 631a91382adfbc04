#include "daemon/notify_fifo.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <spdlog/logger.h>

#include "core/io/fd.hpp"

namespace vigil::daemon {

constexpr std::size_t max_queued_lines = 10000;

NotifyFifo::NotifyFifo(boost::asio::io_context& ctx, spdlog::logger& log,
                       const core::config::NotifyFifo& config)
    : log_(log), path_(config.path) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    if (!S_ISFIFO(st.st_mode))
      throw std::system_error(EEXIST, std::generic_category(), path_ + " exists and is not a FIFO");
  } else if (::mkfifo(path_.c_str(), 0600) != 0) {
    throw std::system_error(errno, std::generic_category(), "mkfifo " + path_);
  }
  if (config.owner) {
    // getpwnam reads local files here; this runs at start or reload, not per event.
    const passwd* pw = ::getpwnam(config.owner->user.c_str());
    if (!pw)
      throw std::system_error(ENOENT, std::generic_category(),
                              "unknown user " + config.owner->user);
    gid_t gid = pw->pw_gid;
    if (config.owner->group) {
      const group* gr = ::getgrnam(config.owner->group->c_str());
      if (!gr)
        throw std::system_error(ENOENT, std::generic_category(),
                                "unknown group " + *config.owner->group);
      gid = gr->gr_gid;
    }
    if (::chown(path_.c_str(), pw->pw_uid, gid) != 0)
      throw std::system_error(errno, std::generic_category(), "chown " + path_);
  }
  int fd = ::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "open " + path_);
  fd_ = std::make_unique<core::io::Fd>(ctx, fd);
}

NotifyFifo::~NotifyFifo() = default;

void NotifyFifo::write(std::string line) {
  line += '\n';
  if (queue_.size() >= max_queued_lines) {
    // The reader is gone or stuck: keep the newest lines, count the loss.
    if (offset_ == 0) {
      queue_.pop_front();
      ++dropped_;
      if (dropped_ == 1 || dropped_ % 1000 == 0)
        log_.warn("notify FIFO {}: reader too slow, {} line(s) dropped", path_, dropped_);
    }
  }
  queue_.push_back(std::move(line));
  flush();
}

void NotifyFifo::flush() {
  int fd = fd_->get();
  while (!queue_.empty()) {
    const std::string& l = queue_.front();
    ssize_t n = ::write(fd, l.data() + offset_, l.size() - offset_);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN) {
        wait_writable();
        return;
      }
      log_.error("notify FIFO {}: {}", path_, std::strerror(errno));
      queue_.clear();
      offset_ = 0;
      return;
    }
    offset_ += std::size_t(n);
    if (offset_ == l.size()) {
      queue_.pop_front();
      offset_ = 0;
    }
  }
}

void NotifyFifo::wait_writable() {
  if (waiting_)
    return;
  waiting_ = true;
  fd_->when_writable([this] {
    waiting_ = false;
    flush();
  });
}

} // namespace vigil::daemon
