#include "storage/hll_encoding.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace respite::storage::hll {
namespace {

constexpr int kP = 14;
constexpr int kQ = 64 - kP;
constexpr uint8_t kRegisterMax = 63;
constexpr int kValMaxValue = 32;
constexpr int kValMaxLen = 4;
constexpr int kZeroMaxLen = 64;
constexpr int kXZeroMaxLen = 16384;
constexpr double kAlphaInf = 0.721347520444481703680;  // 0.5 / ln(2)
constexpr uint8_t kCacheInvalid = 0x80;                // in the last cardinality byte

// ---- sparse opcodes ----

bool IsZero(uint8_t b) { return (b & 0xc0) == 0; }
bool IsXZero(uint8_t b) { return (b & 0xc0) == 0x40; }
bool IsVal(uint8_t b) { return (b & 0x80) != 0; }
int ZeroLen(uint8_t b) { return (b & 0x3f) + 1; }
int XZeroLen(uint8_t b0, uint8_t b1) { return (((b0 & 0x3f) << 8) | b1) + 1; }
int ValValue(uint8_t b) { return ((b >> 2) & 0x1f) + 1; }
int ValLen(uint8_t b) { return (b & 0x3) + 1; }
uint8_t Val(int value, int len) {
  return static_cast<uint8_t>(0x80 | ((value - 1) << 2) | (len - 1));
}
uint8_t Zero(int len) { return static_cast<uint8_t>(len - 1); }
void PutXZero(uint8_t* p, int len) {
  p[0] = static_cast<uint8_t>(((len - 1) >> 8) | 0x40);
  p[1] = static_cast<uint8_t>((len - 1) & 0xff);
}

uint8_t At(std::string_view s, size_t i) {
  // Redis reads the byte after an XZERO that ends the string: its sds terminator, a zero.
  return i < s.size() ? static_cast<uint8_t>(s[i]) : 0;
}

// Walks the sparse opcodes of `value`, calling zero(len) and val(value, len). False when the
// registers they cover overflow or do not add up to all of them.
template <typename OnZero, typename OnVal>
bool WalkSparse(std::string_view value, OnZero zero, OnVal val) {
  long idx = 0;
  size_t p = kHeaderSize;
  while (p < value.size()) {
    const uint8_t b = At(value, p);
    long len;
    if (IsZero(b)) {
      len = ZeroLen(b);
      p += 1;
    } else if (IsXZero(b)) {
      len = XZeroLen(b, At(value, p + 1));
      p += 2;
    } else {
      len = ValLen(b);
      p += 1;
    }
    if (len + idx > kRegisters) return false;
    if (IsVal(b)) {
      val(static_cast<int>(idx), ValValue(b), static_cast<int>(len));
    } else {
      zero(static_cast<int>(len));
    }
    idx += len;
  }
  return idx == kRegisters;
}

// ---- dense registers ----

uint8_t GetRegister(const uint8_t* regs, int index) {
  const unsigned bit = static_cast<unsigned>(index) * 6;
  const unsigned byte = bit / 8;
  const unsigned fb = bit & 7;
  const unsigned b0 = regs[byte];
  // The last register fits in its byte: the next one is never needed.
  const unsigned b1 = byte + 1 < kDenseSize - kHeaderSize ? regs[byte + 1] : 0;
  return static_cast<uint8_t>(((b0 >> fb) | (b1 << (8 - fb))) & kRegisterMax);
}

void SetRegister(uint8_t* regs, int index, uint8_t value) {
  const unsigned bit = static_cast<unsigned>(index) * 6;
  const unsigned byte = bit / 8;
  const unsigned fb = bit & 7;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(kRegisterMax << fb)) | (value << fb));
  if (byte + 1 < kDenseSize - kHeaderSize) {
    const unsigned fb8 = 8 - fb;
    regs[byte + 1] =
        static_cast<uint8_t>((regs[byte + 1] & ~(kRegisterMax >> fb8)) | (value >> fb8));
  }
}

uint8_t* DenseRegs(std::string& value) {
  return reinterpret_cast<uint8_t*>(value.data()) + kHeaderSize;
}
const uint8_t* DenseRegs(std::string_view value) {
  return reinterpret_cast<const uint8_t*>(value.data()) + kHeaderSize;
}

int DenseSet(std::string& value, int index, uint8_t count) {
  uint8_t* regs = DenseRegs(value);
  if (count <= GetRegister(regs, index)) return 0;
  SetRegister(regs, index, count);
  return 1;
}

// ---- estimator (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches") ----

using Histogram = std::array<int, 64>;

double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double z_prime;
  double y = 1;
  double z = x;
  do {
    x *= x;
    z_prime = z;
    z += x * y;
    y += y;
  } while (z_prime != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double z_prime;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    z_prime = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (z_prime != z);
  return z / 3;
}

uint64_t Estimate(const Histogram& h) {
  const double m = kRegisters;
  double z = m * Tau((m - h[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += h[j];
    z *= 0.5;
  }
  z += m * Sigma(h[0] / m);
  const double e = kAlphaInf * m * m / z;
  return static_cast<uint64_t>(std::llround(static_cast<long double>(e)));
}

}  // namespace

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ull;
  constexpr int r = 47;
  const auto len = static_cast<int>(data.size());
  uint64_t h = seed ^ (static_cast<uint64_t>(len) * m);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const uint8_t* end = p + (len - (len & 7));
  for (; p != end; p += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i) k = (k << 8) | p[i];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const int tail = len & 7;
  if (tail > 0) {
    for (int i = tail - 1; i >= 0; --i) h ^= static_cast<uint64_t>(p[i]) << (8 * i);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

void Hash(std::string_view element, int* index, uint8_t* count) {
  uint64_t hash = MurmurHash64A(element, 0xadc83b19ull);
  *index = static_cast<int>(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t{1} << kQ;
  uint8_t c = 1;
  for (uint64_t bit = 1; (hash & bit) == 0; bit <<= 1) ++c;
  *count = c;
}

std::string Create() {
  std::string value(kHeaderSize + 2, '\0');
  std::memcpy(value.data(), "HYLL", 4);
  value[4] = static_cast<char>(kSparse);
  PutXZero(reinterpret_cast<uint8_t*>(value.data()) + kHeaderSize, kXZeroMaxLen);
  return value;
}

bool IsValid(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return false;
  const uint8_t encoding = Encoding(value);
  if (encoding > kSparse) return false;
  return encoding != kDense || value.size() == kDenseSize;
}

bool CachedCount(std::string_view value, uint64_t* count) {
  if ((static_cast<uint8_t>(value[15]) & kCacheInvalid) != 0) return false;
  uint64_t c = 0;
  for (int i = 7; i >= 0; --i) c = (c << 8) | static_cast<uint8_t>(value[8 + i]);
  *count = c;
  return true;
}

void SetCachedCount(std::string& value, uint64_t count) {
  for (int i = 0; i < 8; ++i) value[8 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
}

void InvalidateCache(std::string& value) {
  value[15] = static_cast<char>(static_cast<uint8_t>(value[15]) | kCacheInvalid);
}

bool ToDense(std::string& value) {
  if (Encoding(value) == kDense) return true;
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), value.data(), kHeaderSize);
  dense[4] = static_cast<char>(kDense);
  uint8_t* regs = DenseRegs(dense);
  const bool ok = WalkSparse(
      value, [](int) {},
      [&](int first, int v, int len) {
        for (int i = 0; i < len; ++i) SetRegister(regs, first + i, static_cast<uint8_t>(v));
      });
  if (!ok) return false;
  value = std::move(dense);
  return true;
}

int Set(std::string& value, int index, uint8_t count, int64_t sparse_max_bytes) {
  if (Encoding(value) == kDense) return DenseSet(value, index, count);
  const auto promote = [&]() {
    if (!ToDense(value)) return -1;
    return DenseSet(value, index, count);
  };
  if (count > kValMaxValue) return promote();

  // Find the opcode covering `index`; `prev` is the one before it (npos: none).
  constexpr size_t kNone = std::string::npos;
  size_t p = kHeaderSize;
  size_t prev = kNone;
  long first = 0;
  long span = 0;
  while (p < value.size()) {
    const uint8_t b = At(value, p);
    size_t oplen = 1;
    if (IsZero(b)) {
      span = ZeroLen(b);
    } else if (IsVal(b)) {
      span = ValLen(b);
    } else {
      span = XZeroLen(b, At(value, p + 1));
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span == 0 || p >= value.size()) return -1;

  const uint8_t op = At(value, p);
  const bool is_zero = IsZero(op);
  const bool is_xzero = IsXZero(op);
  const long runlen = is_zero    ? ZeroLen(op)
                      : is_xzero ? XZeroLen(op, At(value, p + 1))
                                 : ValLen(op);
  bool rewritten = false;
  if (!is_zero && !is_xzero) {
    if (ValValue(op) >= count) return 0;
    if (runlen == 1) {
      value[p] = static_cast<char>(Val(count, 1));
      rewritten = true;
    }
  } else if (is_zero && runlen == 1) {
    value[p] = static_cast<char>(Val(count, 1));
    rewritten = true;
  }

  if (!rewritten) {
    // Split the opcode in up to three: the registers before, ours, the registers after.
    uint8_t seq[5];
    int n = 0;
    const long last = first + span - 1;
    const auto zeros = [&](long len) {
      if (len > kZeroMaxLen) {
        PutXZero(seq + n, static_cast<int>(len));
        n += 2;
      } else {
        seq[n++] = Zero(static_cast<int>(len));
      }
    };
    if (is_zero || is_xzero) {
      if (index != first) zeros(index - first);
      seq[n++] = Val(count, 1);
      if (index != last) zeros(last - index);
    } else {
      const int current = ValValue(op);
      if (index != first) seq[n++] = Val(current, static_cast<int>(index - first));
      seq[n++] = Val(count, 1);
      if (index != last) seq[n++] = Val(current, static_cast<int>(last - index));
    }
    const long oldlen = is_xzero ? 2 : 1;
    const long delta = n - oldlen;
    const auto size = static_cast<long>(value.size());
    if (delta > 0 && size + delta > sparse_max_bytes) return promote();
    // An XZERO cut short by the end of the string loses its missing byte, as in Redis.
    std::string rest = p + oldlen < value.size() ? value.substr(p + oldlen) : std::string();
    value.resize(p);
    value.append(reinterpret_cast<const char*>(seq), static_cast<size_t>(n));
    value += rest;
    value.resize(static_cast<size_t>(size + delta));
  }

  // Merge adjacent VALs of the same value, scanning up to 5 opcodes from the one before ours.
  size_t q = prev != kNone ? prev : kHeaderSize;
  int scan = 5;
  while (q < value.size() && scan-- > 0) {
    const uint8_t b = At(value, q);
    if (IsXZero(b)) {
      q += 2;
      continue;
    }
    if (IsZero(b)) {
      q += 1;
      continue;
    }
    if (q + 1 < value.size() && IsVal(At(value, q + 1))) {
      const uint8_t b1 = At(value, q + 1);
      const int len = ValLen(b) + ValLen(b1);
      if (ValValue(b) == ValValue(b1) && len <= kValMaxLen) {
        value[q + 1] = static_cast<char>(Val(ValValue(b), len));
        value.erase(q, 1);
        continue;  // try the merged opcode against the next one
      }
    }
    q += 1;
  }
  InvalidateCache(value);
  return 1;
}

int Add(std::string& value, std::string_view element, int64_t sparse_max_bytes) {
  int index;
  uint8_t count;
  Hash(element, &index, &count);
  return Set(value, index, count, sparse_max_bytes);
}

bool MergeInto(std::string_view value, Registers& max) {
  if (Encoding(value) == kDense) {
    const uint8_t* regs = DenseRegs(value);
    for (int i = 0; i < kRegisters; ++i) max[i] = std::max(max[i], GetRegister(regs, i));
    return true;
  }
  return WalkSparse(
      value, [](int) {},
      [&](int first, int v, int len) {
        for (int i = first; i < first + len; ++i) {
          max[i] = std::max(max[i], static_cast<uint8_t>(v));
        }
      });
}

uint64_t Count(std::string_view value, bool* invalid) {
  Histogram h{};
  if (Encoding(value) == kDense) {
    const uint8_t* regs = DenseRegs(value);
    for (int i = 0; i < kRegisters; ++i) ++h[GetRegister(regs, i)];
  } else {
    // A corrupt value still gets the histogram of the registers read before the fault.
    if (!WalkSparse(
            value, [&](int len) { h[0] += len; }, [&](int, int v, int len) { h[v] += len; })) {
      *invalid = true;
    }
  }
  return Estimate(h);
}

uint64_t Count(const Registers& registers) {
  Histogram h{};
  for (uint8_t r : registers) ++h[r];
  return Estimate(h);
}

uint8_t DenseRegister(std::string_view value, int index) {
  return GetRegister(DenseRegs(value), index);
}

std::string DecodeSparse(std::string_view value) {
  std::string out;
  for (size_t p = kHeaderSize; p < value.size();) {
    const uint8_t b = At(value, p);
    if (!out.empty()) out += ' ';
    if (IsZero(b)) {
      out += "z:" + std::to_string(ZeroLen(b));
      p += 1;
    } else if (IsXZero(b)) {
      out += "Z:" + std::to_string(XZeroLen(b, At(value, p + 1)));
      p += 2;
    } else {
      out += "v:" + std::to_string(ValValue(b)) + "," + std::to_string(ValLen(b));
      p += 1;
    }
  }
  return out;
}

std::string SelfTest(int64_t sparse_max_bytes) {
  std::mt19937_64 rng(std::random_device{}());
  // Registers keep what is set and leave their neighbours alone.
  std::string dense(kDenseSize, '\0');
  uint8_t* regs = DenseRegs(dense);
  Registers expected{};
  for (int cycle = 0; cycle < 1000; ++cycle) {
    for (int i = 0; i < kRegisters; ++i) {
      expected[i] = static_cast<uint8_t>(rng() & kRegisterMax);
      SetRegister(regs, i, expected[i]);
    }
    for (int i = 0; i < kRegisters; ++i) {
      if (GetRegister(regs, i) != expected[i]) {
        return "TESTFAILED Register " + std::to_string(i) + " should be " +
               std::to_string(expected[i]) + " but is " + std::to_string(GetRegister(regs, i));
      }
    }
  }
  // The estimate stays within a few standard errors, and sparse and dense agree.
  std::memset(regs, 0, kDenseSize - kHeaderSize);
  std::string sparse = Create();
  const double relerr = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  const uint64_t seed = rng();
  int64_t checkpoint = 1;
  for (int64_t j = 1; j <= 10000000; ++j) {
    const uint64_t ele = static_cast<uint64_t>(j) ^ seed;
    char bytes[8];
    for (int b = 0; b < 8; ++b) bytes[b] = static_cast<char>((ele >> (8 * b)) & 0xff);
    const std::string_view element(bytes, 8);
    int index;
    uint8_t count;
    Hash(element, &index, &count);
    DenseSet(dense, index, count);
    Set(sparse, index, count, sparse_max_bytes);
    if (j != checkpoint) continue;
    if (j < sparse_max_bytes / 2 && Encoding(sparse) != kSparse) {
      return "TESTFAILED sparse encoding not used";
    }
    bool invalid = false;
    const uint64_t card = Count(dense, &invalid);
    if (card != Count(sparse, &invalid)) return "TESTFAILED dense/sparse disagree";
    int64_t abserr = checkpoint - static_cast<int64_t>(card);
    uint64_t maxerr =
        static_cast<uint64_t>(std::ceil(relerr * 6 * static_cast<double>(checkpoint)));
    if (j == 10) maxerr = 1;
    if (abserr < 0) abserr = -abserr;
    if (abserr > static_cast<int64_t>(maxerr)) {
      return "TESTFAILED Too big error. card:" + std::to_string(checkpoint) +
             " abserr:" + std::to_string(abserr);
    }
    checkpoint *= 10;
  }
  return {};
}

}  // namespace respite::storage::hll
