#include "resp/reply_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace respite::resp {
namespace {

// Longest "%.17g" output is 24 characters ("-1.2345678901234567e-308").
constexpr size_t kDoubleBufLen = 32;

// Writes `v` as Redis 7.0's addReplyDouble() does and returns the length.
size_t FormatDoubleTo(double v, char* buf) {
  if (std::isinf(v)) {
    const std::string_view s = v > 0 ? "inf" : "-inf";
    s.copy(buf, s.size());
    return s.size();
  }
  if (std::isnan(v)) {
    // printf would give "-nan" for a NaN with the sign bit set.
    std::string_view("nan").copy(buf, 3);
    return 3;
  }
  const int n = std::snprintf(buf, kDoubleBufLen, "%.17g", v);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

void AppendNumber(std::string* out, int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;  // 24 bytes always hold an int64
  out->append(buf, end);
}

}  // namespace

std::string FormatDouble(double v) {
  char buf[kDoubleBufLen];
  return std::string(buf, FormatDoubleTo(v, buf));
}

void ReplyWriter::Header(char type, int64_t n) {
  out_->push_back(type);
  AppendNumber(out_, n);
  out_->append("\r\n");
}

void ReplyWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void ReplyWriter::Error(std::string_view message) {
  // As Redis' addReplyErrorFormat(): CR and LF at either end are trimmed, the others become
  // spaces, so the reply stays one line.
  while (!message.empty() && (message.front() == '\r' || message.front() == '\n')) {
    message.remove_prefix(1);
  }
  while (!message.empty() && (message.back() == '\r' || message.back() == '\n')) {
    message.remove_suffix(1);
  }
  out_->push_back('-');
  const size_t start = out_->size();
  out_->append(message);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void ReplyWriter::Integer(int64_t v) { Header(':', v); }

void ReplyWriter::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void ReplyWriter::Null() { out_->append(protocol_ == 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->append(protocol_ == 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void ReplyWriter::MapHeader(size_t n) {
  if (protocol_ == 3) {
    Header('%', static_cast<int64_t>(n));
  } else {
    Header('*', static_cast<int64_t>(2 * n));
  }
}

void ReplyWriter::SetHeader(size_t n) {
  Header(protocol_ == 3 ? '~' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::PushHeader(size_t n) {
  Header(protocol_ == 3 ? '>' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::Double(double v) {
  char buf[kDoubleBufLen];
  const size_t len = FormatDoubleTo(v, buf);
  if (protocol_ == 3) {
    out_->push_back(',');
    out_->append(buf, len);
    out_->append("\r\n");
  } else {
    Bulk(std::string_view(buf, len));
  }
}

void ReplyWriter::Boolean(bool v) {
  if (protocol_ == 3) {
    out_->append(v ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(v ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (protocol_ != 3) {
    Bulk(digits);
    return;
  }
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n");
}

void ReplyWriter::Verbatim(std::string_view format, std::string_view s) {
  if (protocol_ != 3) {
    Bulk(s);
    return;
  }
  // As Redis: the format is exactly three bytes, padded with spaces or cut.
  Header('=', static_cast<int64_t>(s.size() + 4));
  for (size_t i = 0; i < 3; ++i) out_->push_back(i < format.size() ? format[i] : ' ');
  out_->push_back(':');
  out_->append(s);
  out_->append("\r\n");
}

}  // namespace respite::resp
