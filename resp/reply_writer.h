#pragma once
// Writes RESP replies into a caller's string, in RESP2 or RESP3 as the session negotiated.
// Handlers never hand-write RESP; they call this. No I/O, no exceptions.

#include <cstdint>
#include <string>
#include <string_view>

namespace respite::resp {

class ReplyWriter {
 public:
  // Appends to *out (not owned; must outlive the writer). `protocol` is 2 or 3.
  explicit ReplyWriter(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }

  void SimpleString(std::string_view s);  // +s
  void Ok() { SimpleString("OK"); }
  // `message` is the full text without '-', e.g. "ERR unknown command" or "WRONGTYPE ...".
  // CR and LF in it are replaced by spaces, as Redis does.
  void Error(std::string_view message);
  void Integer(int64_t v);        // :v
  void Bulk(std::string_view s);  // $len s
  void Null();                    // RESP2 $-1, RESP3 _
  void NullArray();               // RESP2 *-1, RESP3 _
  void ArrayHeader(size_t n);     // *n
  void MapHeader(size_t n);       // RESP3 %n; RESP2 *2n (n pairs follow)
  void SetHeader(size_t n);       // RESP3 ~n; RESP2 *n
  void PushHeader(size_t n);      // RESP3 >n; RESP2 *n
  void Double(double v);          // RESP3 ,v; RESP2 bulk string, formatted as Redis does
  void Boolean(bool v);           // RESP3 #t/#f; RESP2 :1/:0
  void Verbatim(std::string_view format, std::string_view s);  // RESP3 =; RESP2 bulk
  void BigNumber(std::string_view digits);                     // RESP3 (; RESP2 bulk
  // Appends bytes that are already RESP (a relayed reply).
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Header(char type, int64_t n);

  std::string* out_;
  int protocol_;
};

// Formats a double as Redis does in replies (%.17g, "inf"/"-inf"; RESP3 "nan").
std::string FormatDouble(double v);

}  // namespace respite::resp
