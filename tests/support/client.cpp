#include "tests/support/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace respite::test {
namespace {

timeval ToTimeval(milliseconds ms) {
  timeval tv{};
  tv.tv_sec = ms.count() / 1000;
  tv.tv_usec = (ms.count() % 1000) * 1000;
  return tv;
}

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (out.size() > 200) {
      out += "...(" + std::to_string(s.size()) + " bytes)";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

// ---- Reply ----

bool Reply::IsStatus(std::string_view text) const {
  return reply_ && reply_->type == REDIS_REPLY_STATUS &&
         std::string_view(reply_->str, reply_->len) == text;
}
bool Reply::IsError() const { return reply_ && reply_->type == REDIS_REPLY_ERROR; }
bool Reply::IsErrorPrefix(std::string_view prefix) const {
  return IsError() && std::string_view(reply_->str, reply_->len).starts_with(prefix);
}
bool Reply::IsNil() const { return reply_ && reply_->type == REDIS_REPLY_NIL; }
bool Reply::IsString(std::string_view text) const {
  return reply_ && reply_->type == REDIS_REPLY_STRING &&
         std::string_view(reply_->str, reply_->len) == text;
}
bool Reply::IsInteger(long long value) const {
  return reply_ && reply_->type == REDIS_REPLY_INTEGER && reply_->integer == value;
}
bool Reply::IsArray(size_t size) const {
  return reply_ && reply_->type == REDIS_REPLY_ARRAY && reply_->elements == size;
}
std::string Reply::Describe() const { return DescribeReply(reply_.get()); }

std::string DescribeReply(const redisReply* r) {
  if (r == nullptr) return "(no reply)";
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return Quote(std::string_view(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return "+" + std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "-" + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return "(integer) " + std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out = "[";
      for (size_t i = 0; i < r->elements; ++i) {
        if (i) out += ",";
        out += DescribeReply(r->element[i]);
      }
      return out + "]";
    }
  }
  return "(type " + std::to_string(r->type) + ")";
}

// ---- Client ----

Client::Client(uint16_t port, milliseconds timeout) {
  // hiredis writes with write(2): a peer that went away would kill the test with SIGPIPE.
  static const bool sigpipe_ignored = [] {
    signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)sigpipe_ignored;
  ctx_ = redisConnectWithTimeout("127.0.0.1", port, ToTimeval(timeout));
  if (ctx_ != nullptr && ctx_->err == 0) redisSetTimeout(ctx_, ToTimeval(timeout));
}

Client::~Client() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

Client::Client(Client&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

std::string Client::error() const {
  if (ctx_ == nullptr) return "no context (out of memory)";
  if (ctx_->err == 0) return {};
  return ctx_->errstr;
}

void Client::SetTimeout(milliseconds timeout) {
  if (ctx_ != nullptr) redisSetTimeout(ctx_, ToTimeval(timeout));
}

Reply Client::Command(const std::vector<std::string>& argv) {
  Append(argv);
  return GetReply();
}

void Client::Append(const std::vector<std::string>& argv) {
  if (ctx_ == nullptr) return;
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data());
}

void Client::AppendRaw(std::string_view bytes) {
  if (ctx_ != nullptr) redisAppendFormattedCommand(ctx_, bytes.data(), bytes.size());
}

bool Client::Flush() {
  if (!ok()) return false;
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return false;
  }
  return true;
}

Reply Client::GetReply() {
  if (!ok()) return Reply();
  void* reply = nullptr;
  if (redisGetReply(ctx_, &reply) != REDIS_OK) return Reply();
  return Reply(static_cast<redisReply*>(reply));
}

std::string Client::RecvRaw(milliseconds timeout, bool* closed) {
  if (closed) *closed = false;
  std::string out;
  if (ctx_ == nullptr) return out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pollfd p{ctx_->fd, POLLIN, 0};
    int r = poll(&p, 1, RemainingMs(deadline));
    if (r <= 0) return out;
    char buf[16384];
    ssize_t n = recv(ctx_->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (closed) *closed = true;
    return out;
  }
}

// ---- Resp3 ----

const Resp3* Resp3::Find(std::string_view key) const {
  if (type != '%' && type != '|') return nullptr;
  for (size_t i = 0; i + 1 < elems.size(); i += 2) {
    if (elems[i].str == key) return &elems[i + 1];
  }
  return nullptr;
}

std::string Resp3::Describe() const {
  if (null) return "(null)";
  switch (type) {
    case '+':
      return "+" + str;
    case '-':
    case '!':
      return "-" + str;
    case ':':
      return "(integer) " + std::to_string(integer);
    case '#':
      return integer ? "(true)" : "(false)";
    case '$':
    case '=':
      return Quote(str);
    case ',':
    case '(':
      return str;
    default: {
      std::string out(1, type);
      out += "[";
      for (size_t i = 0; i < elems.size(); ++i) {
        if (i) out += (type == '%' || type == '|') && i % 2 ? ": " : ", ";
        out += elems[i].Describe();
      }
      return out + "]";
    }
  }
}

long ParseResp3(std::string_view data, Resp3* out) {
  if (data.empty()) return 0;
  size_t eol = data.find("\r\n");
  if (eol == std::string_view::npos) return 0;
  *out = Resp3{};
  out->type = data[0];
  std::string_view line = data.substr(1, eol - 1);
  size_t pos = eol + 2;
  auto to_ll = [](std::string_view s, long long* v) {
    std::string tmp(s);
    char* end = nullptr;
    errno = 0;
    *v = std::strtoll(tmp.c_str(), &end, 10);
    return !tmp.empty() && errno == 0 && end == tmp.c_str() + tmp.size();
  };
  switch (out->type) {
    case '+':
    case '-':
    case ',':
    case '(':
      out->str = line;
      return static_cast<long>(pos);
    case ':':
      return to_ll(line, &out->integer) ? static_cast<long>(pos) : -1;
    case '_':
      out->null = true;
      return static_cast<long>(pos);
    case '#':
      out->integer = line == "t";
      return static_cast<long>(pos);
    case '$':
    case '=':
    case '!': {
      long long len;
      if (!to_ll(line, &len)) return -1;
      if (len < 0) {
        out->null = true;
        return static_cast<long>(pos);
      }
      if (data.size() < pos + static_cast<size_t>(len) + 2) return 0;
      out->str = data.substr(pos, static_cast<size_t>(len));
      return static_cast<long>(pos + static_cast<size_t>(len) + 2);
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      long long count;
      if (!to_ll(line, &count)) return -1;
      if (count < 0) {
        out->null = true;
        return static_cast<long>(pos);
      }
      if (out->type == '%' || out->type == '|') count *= 2;
      for (long long i = 0; i < count; ++i) {
        Resp3 elem;
        long used = ParseResp3(data.substr(pos), &elem);
        if (used <= 0) return used;
        pos += static_cast<size_t>(used);
        out->elems.push_back(std::move(elem));
      }
      if (out->type == '|') {
        // An attribute precedes the value it describes; keep the value, attach nothing.
        long used = ParseResp3(data.substr(pos), out);
        return used <= 0 ? used : static_cast<long>(pos) + used;
      }
      return static_cast<long>(pos);
    }
  }
  return -1;
}

// ---- RawConnection ----

RawConnection::RawConnection(uint16_t port, milliseconds timeout)
    : RawConnection(port, "", timeout) {}

RawConnection::RawConnection(uint16_t port, const std::string& source, milliseconds timeout) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + strerror(errno);
    return;
  }
  if (!source.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      error_ = "bind to " + source + ": " + strerror(errno);
      return;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      error_ = std::string("connect: ") + strerror(errno);
      return;
    }
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
      error_ = "connect: timed out";
      return;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      error_ = std::string("connect: ") + strerror(err);
      return;
    }
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::Close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  close(fd_);
  fd_ = -1;
}

bool RawConnection::Send(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, 10000) != 1) return false;
      continue;
    }
    return false;
  }
  return true;
}

bool RawConnection::SendCommand(const std::vector<std::string>& argv) {
  return Send(EncodeCommand(argv));
}

size_t RawConnection::ReadSome(milliseconds timeout) {
  if (fd_ < 0 || closed_) return 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    closed_ = true;  // EOF or reset
    return 0;
  }
}

bool RawConnection::ReadUntil(std::string_view needle, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer_.find(needle) == std::string::npos) {
    if (closed_ || std::chrono::steady_clock::now() >= deadline) return false;
    ReadSome(milliseconds(RemainingMs(deadline)));
  }
  return true;
}

bool RawConnection::ReadUntilClosed(milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ReadSome(milliseconds(RemainingMs(deadline)));
  }
  return true;
}

std::optional<Resp3> RawConnection::ReadResp3(milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Resp3 value;
    long used = ParseResp3(buffer_, &value);
    if (used < 0) return std::nullopt;
    if (used > 0) {
      buffer_.erase(0, static_cast<size_t>(used));
      return value;
    }
    if (closed_ || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    ReadSome(milliseconds(RemainingMs(deadline)));
  }
}

std::optional<Resp3> RawConnection::Command(const std::vector<std::string>& argv,
                                            milliseconds timeout) {
  if (!SendCommand(argv)) return std::nullopt;
  return ReadResp3(timeout);
}

std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

}  // namespace respite::test
