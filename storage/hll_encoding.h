#pragma once
// HyperLogLog values exactly as Redis 7.0 stores them in a string (hyperloglog.c), so that GET
// of an HLL key and PFCOUNT's estimates match Redis byte for byte:
//
//   header (16 bytes): "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, the cached
//   cardinality as 8 little-endian bytes whose last byte's top bit marks it invalid;
//   dense: 16384 registers of 6 bits, register i at bit i*6, least significant bit first;
//   sparse: opcodes ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy (1..16384),
//   VAL 1vvvvvxx (1..4 registers of value 1..32).
//
// Elements hash with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the
// position of the first set bit above them (plus one, at most 51) is its candidate value. The
// estimate is Ertl's improved raw estimator (tau/sigma) as Redis 7.0 computes it. Pure functions
// on the value's bytes; no I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace respite::storage::hll {

constexpr int kRegisters = 16384;
constexpr size_t kHeaderSize = 16;
constexpr size_t kDenseSize = kHeaderSize + (kRegisters * 6 + 7) / 8;  // 12304
constexpr uint8_t kDense = 0;
constexpr uint8_t kSparse = 1;

// One byte per register: the union of several HLLs (PFCOUNT of many keys, PFMERGE).
using Registers = std::array<uint8_t, kRegisters>;

// Redis' MurmurHash64A (little-endian reads).
uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

// The register an element goes to and the value it proposes (1..51).
void Hash(std::string_view element, int* index, uint8_t* count);

// A new, empty HLL: sparse, one XZERO covering every register, cached cardinality 0 (valid).
std::string Create();

// Redis' isHLLObjectOrReply on a string value: the header is there, the magic is "HYLL", the
// encoding is known, and a dense value has the exact dense size.
bool IsValid(std::string_view value);

inline uint8_t Encoding(std::string_view value) { return static_cast<uint8_t>(value[4]); }

// The cached cardinality, when valid.
bool CachedCount(std::string_view value, uint64_t* count);
void SetCachedCount(std::string& value, uint64_t count);
void InvalidateCache(std::string& value);

// Sets register `index` to `count` when that raises it, in either encoding; a sparse value turns
// dense when `count` exceeds 32 or the value would grow beyond `sparse_max_bytes`. Returns 1
// when the register changed, 0 when not, -1 when the sparse value is corrupt.
int Set(std::string& value, int index, uint8_t count, int64_t sparse_max_bytes);
// Set() for an element's hash.
int Add(std::string& value, std::string_view element, int64_t sparse_max_bytes);

// Converts a sparse value to dense (header and cached cardinality copied). False (value
// untouched) when the sparse value is corrupt; a dense value is left as it is.
bool ToDense(std::string& value);

// Raises each of `max` to the value's registers. False when the sparse value is corrupt.
bool MergeInto(std::string_view value, Registers& max);

// The estimate of a valid value; *invalid set when a sparse value does not cover exactly all
// registers.
uint64_t Count(std::string_view value, bool* invalid);
// The estimate of a register array (the union of several HLLs).
uint64_t Count(const Registers& registers);

// Register `index` of a dense value.
uint8_t DenseRegister(std::string_view value, int index);

// PFDEBUG DECODE: the sparse opcodes as "z:len", "Z:len" and "v:value,len", space separated.
std::string DecodeSparse(std::string_view value);

// PFSELFTEST: register access and the estimate's error against 10 million elements. Empty on
// success, else the TESTFAILED error text.
std::string SelfTest(int64_t sparse_max_bytes);

}  // namespace respite::storage::hll
