#pragma once
// Errors as values for the local store. RocksDB's statuses are converted at the storage boundary
// (engine.cpp); nothing above storage/ sees a rocksdb::Status.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace respite::storage {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kNotFound, kCorruption, kIoError, kInvalid, kFull, kBusy };

  Status() = default;
  static Status Ok() { return {}; }
  static Status NotFound() { return Status(Code::kNotFound, {}); }
  static Status Corruption(std::string_view m) { return Status(Code::kCorruption, m); }
  static Status IoError(std::string_view m) { return Status(Code::kIoError, m); }
  static Status Invalid(std::string_view m) { return Status(Code::kInvalid, m); }
  static Status Full(std::string_view m) { return Status(Code::kFull, m); }
  // Another process holds the store's lock (a running respite).
  static Status Busy(std::string_view m) { return Status(Code::kBusy, m); }

  bool ok() const { return code_ == Code::kOk; }
  bool not_found() const { return code_ == Code::kNotFound; }
  bool busy() const { return code_ == Code::kBusy; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(Code code, std::string_view m) : code_(code), message_(m) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains its absence.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

inline std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "not found";
    case Code::kCorruption:
      return "corruption: " + message_;
    case Code::kIoError:
      return "I/O error: " + message_;
    case Code::kInvalid:
      return "invalid: " + message_;
    case Code::kFull:
      return "full: " + message_;
    case Code::kBusy:
      return "busy: " + message_;
  }
  return message_;
}

}  // namespace respite::storage
