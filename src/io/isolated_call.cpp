#include "io/isolated_call.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ::_exit(3);
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Reads until EOF or the deadline; false on timeout.
bool read_until_eof(int fd, std::string& out, std::chrono::steady_clock::time_point until) {
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t r = ::read(fd, buffer, sizeof buffer);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return true;
    out.append(buffer, static_cast<std::size_t>(r));
  }
}

}  // namespace

IsolatedResult run_isolated(const std::function<std::string()>& call, std::chrono::milliseconds deadline) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw IoError(fmt::format("cannot fork: {}", std::strerror(errno)));
  }
  if (child == 0) {  // only async-signal-safe exits from here: no destructors, no atexit handlers
    ::close(fds[0]);
    std::string result;
    try {
      result = call();
    } catch (...) {
      ::_exit(4);
    }
    const std::uint64_t n = result.size();
    write_all(fds[1], reinterpret_cast<const char*>(&n), sizeof n);
    write_all(fds[1], result.data(), result.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string raw;
  const bool finished = read_until_eof(fds[0], raw, std::chrono::steady_clock::now() + deadline);
  ::close(fds[0]);
  if (!finished) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  IsolatedResult out;
  if (!finished) {
    out.failure = fmt::format("took longer than {:.3g} s", std::chrono::duration<double>(deadline).count());
  } else if (WIFSIGNALED(status)) {
    out.failure = fmt::format("crashed (signal {})", WTERMSIG(status));
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || raw.size() < sizeof(std::uint64_t)) {
    out.failure = fmt::format("failed (exit status {})", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  } else {
    std::uint64_t n = 0;
    std::memcpy(&n, raw.data(), sizeof n);
    if (n != raw.size() - sizeof n) {
      out.failure = "returned a short answer";
    } else {
      out.bytes = raw.substr(sizeof n);
    }
  }
  return out;
}

std::chrono::milliseconds isolated_read_deadline() {
  const char* text = std::getenv("XPULSE_ATTRIBUTE_TIMEOUT");
  if (text == nullptr || *text == '\0') return std::chrono::seconds(10);
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end != '\0' || !(seconds > 0) || seconds > 86400) {
    throw InvalidArgument(fmt::format("XPULSE_ATTRIBUTE_TIMEOUT must be a number of seconds > 0, got '{}'", text));
  }
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::string printable(const std::string& text) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = length > 0 && i + length <= n && !(length == 1 && (c < 0x20 || c == 0x7f));
    for (std::size_t k = 1; valid && k < length; ++k) valid = (p[i + k] & 0xc0) == 0x80;
    if (valid) {
      out.append(text, i, length);
      i += length;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  return out;
}

}  // namespace xpulse::io
