#include "storage/geohash.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>

namespace respite::storage::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kEarthRadiusMeters = 6372797.560856;  // Redis' quadratic mean radius
constexpr double kMercatorMax = 20037726.37;

double DegRad(double degrees) { return degrees * kDegToRad; }
double RadDeg(double radians) { return radians / kDegToRad; }

// Latitude on the even bits, longitude on the odd bits.
uint64_t Interleave(uint32_t lat, uint32_t lon) {
  uint64_t out = 0;
  for (int i = 0; i < 32; ++i) {
    out |= static_cast<uint64_t>((lat >> i) & 1) << (2 * i);
    out |= static_cast<uint64_t>((lon >> i) & 1) << (2 * i + 1);
  }
  return out;
}

void Deinterleave(uint64_t bits, uint32_t* lat, uint32_t* lon) {
  *lat = 0;
  *lon = 0;
  for (int i = 0; i < 32; ++i) {
    *lat |= static_cast<uint32_t>((bits >> (2 * i)) & 1) << i;
    *lon |= static_cast<uint32_t>((bits >> (2 * i + 1)) & 1) << i;
  }
}

// The neighbour `dx` cells east and `dy` cells north (each -1, 0 or 1), wrapping around. A moved
// coordinate is kept to `step` bits; the other one is left as it is.
Cell Move(Cell cell, int dx, int dy) {
  uint32_t lat = 0;
  uint32_t lon = 0;
  Deinterleave(cell.bits, &lat, &lon);
  const uint64_t mask = (uint64_t{1} << cell.step) - 1;
  if (dx != 0) lon = static_cast<uint32_t>((lon + static_cast<uint64_t>(int64_t{dx})) & mask);
  if (dy != 0) lat = static_cast<uint32_t>((lat + static_cast<uint64_t>(int64_t{dy})) & mask);
  return Cell{Interleave(lat, lon), cell.step};
}

// A score as the C conversion (uint64_t)score gives it on x86-64.
uint64_t ScoreBits(double score) {
  constexpr double k63 = 9223372036854775808.0;
  const auto convert = [](double v) -> uint64_t {
    if (v >= -k63 && v < k63) return static_cast<uint64_t>(static_cast<int64_t>(v));
    return uint64_t{1} << 63;
  };
  if (score < k63) return convert(score);
  return convert(score - k63) ^ (uint64_t{1} << 63);
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(DegRad(lat2) - DegRad(lat1));
}

int EstimateSteps(double range_meters, double lat) {
  if (range_meters == 0) return kStepMax;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;  // so that the range fits in most cases
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kStepMax) step = kStepMax;
  return step;
}

// The search area's bounds: min lon, min lat, max lon, max lat.
void BoundingBox(const Shape& shape, double* bounds) {
  const double height = shape.to_meters * (shape.box ? shape.height / 2 : shape.radius);
  const double width = shape.to_meters * (shape.box ? shape.width / 2 : shape.radius);
  const double lat_delta = RadDeg(height / kEarthRadiusMeters);
  const double lon_delta_top =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(shape.lat + lat_delta)));
  const double lon_delta_bottom =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(shape.lat - lat_delta)));
  // The hemispheres widen in opposite directions.
  const bool southern = shape.lat < 0;
  bounds[0] = southern ? shape.lon - lon_delta_bottom : shape.lon - lon_delta_top;
  bounds[2] = southern ? shape.lon + lon_delta_bottom : shape.lon + lon_delta_top;
  bounds[1] = shape.lat - lat_delta;
  bounds[3] = shape.lat + lat_delta;
}

}  // namespace

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* out) {
  if (step > 32 || step == 0 || (lat_range.min == 0 && lat_range.max == 0) ||
      (lon_range.min == 0 && lon_range.max == 0)) {
    return false;
  }
  if (!ValidLonLat(lon, lat)) return false;
  out->bits = 0;
  out->step = step;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) {
    return false;
  }
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(uint64_t{1} << step);
  lon_offset *= static_cast<double>(uint64_t{1} << step);
  out->bits = Interleave(static_cast<uint32_t>(lat_offset), static_cast<uint32_t>(lon_offset));
  return true;
}

uint64_t Align52(Cell cell) { return cell.bits << (52 - cell.step * 2); }

uint64_t ScoreOf(double lon, double lat) {
  Cell cell;
  Encode(kLonRange, kLatRange, lon, lat, kStepMax, &cell);
  return Align52(cell);
}

Area Decode(Range lon_range, Range lat_range, Cell cell) {
  uint32_t ilat = 0;
  uint32_t ilon = 0;
  Deinterleave(cell.bits, &ilat, &ilon);
  const double lat_scale = lat_range.max - lat_range.min;
  const double lon_scale = lon_range.max - lon_range.min;
  const auto cells = static_cast<double>(uint64_t{1} << cell.step);
  // The "+ 1" wraps in 32 bits, as Redis' does.
  const uint32_t ilat_next = ilat + 1;
  const uint32_t ilon_next = ilon + 1;
  Area area;
  area.lat.min = lat_range.min + (ilat * 1.0 / cells) * lat_scale;
  area.lat.max = lat_range.min + (ilat_next * 1.0 / cells) * lat_scale;
  area.lon.min = lon_range.min + (ilon * 1.0 / cells) * lon_scale;
  area.lon.max = lon_range.min + (ilon_next * 1.0 / cells) * lon_scale;
  return area;
}

void DecodeScore(double score, double* lon, double* lat) {
  const Area area = Decode(kLonRange, kLatRange, Cell{ScoreBits(score), kStepMax});
  *lon = (area.lon.min + area.lon.max) / 2;
  if (*lon > kLonMax) *lon = kLonMax;
  if (*lon < kLonMin) *lon = kLonMin;
  *lat = (area.lat.min + area.lat.max) / 2;
  if (*lat > kLatMax) *lat = kLatMax;
  if (*lat < kLatMin) *lat = kLatMin;
}

std::string HashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon = 0;
  double lat = 0;
  DecodeScore(score, &lon, &lat);
  // Scores use latitudes up to ~85 degrees; the standard geohash uses [-90, 90].
  Cell cell;
  Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, kStepMax, &cell);
  std::string out(11, '0');  // 52 bits fill 10 characters; the 11th is always '0'
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(cell.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  const double lon1r = DegRad(lon1);
  const double lon2r = DegRad(lon2);
  const double v = std::sin((lon2r - lon1r) / 2);
  // Same longitude: the latitude difference alone, as Redis shortcuts it.
  if (v == 0.0) return LatDistance(lat1, lat2);
  const double lat1r = DegRad(lat1);
  const double lat2r = DegRad(lat2);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

bool WithinShape(const Shape& shape, double score, double* lon, double* lat, double* distance) {
  DecodeScore(score, lon, lat);
  if (!shape.box) {
    *distance = Distance(shape.lon, shape.lat, *lon, *lat);
    return *distance <= shape.radius * shape.to_meters;
  }
  const double width = shape.width * shape.to_meters;
  const double height = shape.height * shape.to_meters;
  if (LatDistance(*lat, shape.lat) > height / 2) return false;
  if (Distance(*lon, *lat, shape.lon, *lat) > width / 2) return false;
  *distance = Distance(shape.lon, shape.lat, *lon, *lat);
  return true;
}

std::array<Cell, 9> SearchCells(const Shape& shape) {
  double bounds[4];
  BoundingBox(shape, bounds);
  const double min_lon = bounds[0];
  const double min_lat = bounds[1];
  const double max_lon = bounds[2];
  const double max_lat = bounds[3];
  // A box is estimated by its half diagonal.
  double radius_meters = shape.box ? std::sqrt((shape.width / 2) * (shape.width / 2) +
                                               (shape.height / 2) * (shape.height / 2))
                                   : shape.radius;
  radius_meters *= shape.to_meters;
  int steps = EstimateSteps(radius_meters, shape.lat);

  Cell center;
  Encode(kLonRange, kLatRange, shape.lon, shape.lat, steps, &center);
  // Near a cell's edge the estimate may be too fine for a neighbour to cover the whole area: then
  // one step coarser.
  const Area north = Decode(kLonRange, kLatRange, Move(center, 0, 1));
  const Area south = Decode(kLonRange, kLatRange, Move(center, 0, -1));
  const Area east = Decode(kLonRange, kLatRange, Move(center, 1, 0));
  const Area west = Decode(kLonRange, kLatRange, Move(center, -1, 0));
  const bool decrease = north.lat.max < max_lat || south.lat.min > min_lat ||
                        east.lon.max < max_lon || west.lon.min > min_lon;
  if (steps > 1 && decrease) {
    steps--;
    Encode(kLonRange, kLatRange, shape.lon, shape.lat, steps, &center);
  }
  const Area area = Decode(kLonRange, kLatRange, center);

  std::array<Cell, 9> cells = {center,
                               Move(center, 0, 1),     // north
                               Move(center, 0, -1),    // south
                               Move(center, 1, 0),     // east
                               Move(center, -1, 0),    // west
                               Move(center, 1, 1),     // north-east
                               Move(center, -1, 1),    // north-west
                               Move(center, 1, -1),    // south-east
                               Move(center, -1, -1)};  // south-west
  // Neighbours beyond the area's bounds hold nothing of it.
  if (steps >= 2) {
    const auto drop = [&](std::initializer_list<int> which) {
      for (int i : which) cells[i] = Cell{};
    };
    if (area.lat.min < min_lat) drop({2, 8, 7});
    if (area.lat.max > max_lat) drop({1, 5, 6});
    if (area.lon.min < min_lon) drop({4, 8, 6});
    if (area.lon.max > max_lon) drop({3, 7, 5});
  }
  return cells;
}

std::string FormatDistance(double d) {
  if (d == 0) return "0.0000";
  const long long scaled = std::llrint(d * 10000.0);
  unsigned long long value = 0;
  std::string sign;
  if (scaled < 0) {
    sign = "-";
    value = scaled == LLONG_MIN ? static_cast<unsigned long long>(LLONG_MAX) + 1
                                : static_cast<unsigned long long>(-scaled);
  } else {
    value = static_cast<unsigned long long>(scaled);
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%llu.%04llu", value / 10000, value % 10000);
  return sign + buf;
}

}  // namespace respite::storage::geo
