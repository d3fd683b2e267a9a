#pragma once
// Geohash math as Redis 7.0 does it (geohash.c, geohash_helper.c), so that scores, decoded
// positions, distances and the cells a search visits match Redis bit for bit. A point's score is
// its 52-bit interleaved geohash (26 steps of longitude and latitude, latitude on the even bits)
// over longitude [-180, 180] and latitude [-85.05112878, 85.05112878]. Pure functions, no I/O.

#include <array>
#include <cstdint>
#include <string>

namespace respite::storage::geo {

constexpr double kLonMin = -180;
constexpr double kLonMax = 180;
constexpr double kLatMin = -85.05112878;
constexpr double kLatMax = 85.05112878;
constexpr int kStepMax = 26;  // 26 * 2 = 52 bits

// A cell: `step` bits of longitude and of latitude, interleaved. Both zero: "no cell".
struct Cell {
  uint64_t bits = 0;
  int step = 0;
  bool none() const { return bits == 0 && step == 0; }
};

struct Range {
  double min = 0;
  double max = 0;
};

struct Area {
  Range lon;
  Range lat;
};

// The ranges scores use (latitude limited to what Web Mercator can show).
constexpr Range kLonRange{kLonMin, kLonMax};
constexpr Range kLatRange{kLatMin, kLatMax};

// Redis' validity check for a GEOADD or FROMLONLAT pair.
inline bool ValidLonLat(double lon, double lat) {
  return !(lon < kLonMin || lon > kLonMax || lat < kLatMin || lat > kLatMax);
}

// The cell of `step` bits holding (lon, lat) in the given ranges; false outside them.
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* out);
// The cell's bits shifted to 52 bits: its lowest score.
uint64_t Align52(Cell cell);
// The score of a valid point (the cell of kStepMax steps).
uint64_t ScoreOf(double lon, double lat);
// The bounds of a cell.
Area Decode(Range lon_range, Range lat_range, Cell cell);
// The position a score stands for: the center of its cell, clamped to the valid ranges. Any
// double is accepted (a sorted-set score converted as Redis' C cast does on x86-64).
void DecodeScore(double score, double* lon, double* lat);
// GEOHASH's 11-character standard geohash of a score.
std::string HashString(double score);

// Great-circle distance in meters (haversine on Redis' earth radius).
double Distance(double lon1, double lat1, double lon2, double lat2);

// A search area: a circle of `radius`, or a `width` x `height` box, all in the unit whose
// size in meters is `to_meters`, around (lon, lat).
struct Shape {
  bool box = false;
  double lon = 0;
  double lat = 0;
  double radius = 0;
  double width = 0;
  double height = 0;
  double to_meters = 1;
};

// Whether the point of `score` lies within `shape`; sets its decoded position and its distance in
// meters from the center (when inside).
bool WithinShape(const Shape& shape, double score, double* lon, double* lat, double* distance);

// The cells a search scans, in Redis' order: the center's cell, then north, south, east, west,
// north-east, north-west, south-east, south-west; cells that cannot hold a match are none().
std::array<Cell, 9> SearchCells(const Shape& shape);

// A distance as Redis replies it: fixed point with 4 decimals.
std::string FormatDistance(double d);

}  // namespace respite::storage::geo
