#include "tests/support/prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <vector>

namespace respite::test {

namespace {

bool NameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool NameChar(char c) { return NameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool ValidName(const std::string& name) {
  if (name.empty() || !NameStart(name[0])) return false;
  for (char c : name) {
    if (!NameChar(c)) return false;
  }
  return true;
}

bool ParseValue(const std::string& text, double* out) {
  if (text == "+Inf") {
    *out = INFINITY;
    return true;
  }
  if (text == "-Inf") {
    *out = -INFINITY;
    return true;
  }
  if (text == "NaN") {
    *out = NAN;
    return true;
  }
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// The family a sample belongs to: histogram samples carry a suffix.
std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) {
        return base;
      }
    }
  }
  return name;
}

struct Bucket {
  double le;
  double value;
};

}  // namespace

PrometheusText ParsePrometheusText(const std::string& text) {
  PrometheusText out;
  std::set<std::string> helped;
  std::set<std::string> sampled_families;
  // Histogram checks: per (family, labels without le) the buckets in order, and count/sum.
  std::map<std::string, std::vector<Bucket>> buckets;
  std::map<std::string, double> counts;
  std::set<std::string> sums;
  size_t line_no = 0;
  size_t pos = 0;
  auto fail = [&](const std::string& what) {
    out.error = "line " + std::to_string(line_no) + ": " + what;
    return out;
  };
  if (!text.empty() && text.back() != '\n') {
    line_no = 0;
    return fail("the text must end with a newline");
  }
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        const bool is_type = line[2] == 'T';
        const size_t name_end = line.find(' ', 7);
        const std::string name =
            line.substr(7, name_end == std::string::npos ? std::string::npos : name_end - 7);
        if (!ValidName(name)) return fail("bad metric name '" + name + "'");
        if (sampled_families.count(name)) return fail(name + ": HELP/TYPE after its samples");
        if (is_type) {
          if (name_end == std::string::npos) return fail("TYPE without a type");
          const std::string type = line.substr(name_end + 1);
          static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                       "untyped"};
          if (!kTypes.count(type)) return fail("unknown type '" + type + "'");
          if (out.types.count(name)) return fail(name + ": TYPE given twice");
          out.types[name] = type;
        } else {
          if (helped.count(name)) return fail(name + ": HELP given twice");
          helped.insert(name);
        }
      }
      continue;  // other comments are allowed
    }
    // name{labels} value [timestamp]
    size_t i = 0;
    while (i < line.size() && NameChar(line[i])) ++i;
    const std::string name = line.substr(0, i);
    if (!ValidName(name)) return fail("bad sample name in '" + line + "'");
    std::string labels_without_le;
    std::string le;
    std::set<std::string> label_names;
    std::string series = name;
    if (i < line.size() && line[i] == '{') {
      const size_t open = i;
      ++i;
      bool first = true;
      while (i < line.size() && line[i] != '}') {
        if (!first) {
          if (line[i] != ',') return fail("expected ',' between labels");
          ++i;
        }
        first = false;
        const size_t ln = i;
        while (i < line.size() && NameChar(line[i])) ++i;
        const std::string label = line.substr(ln, i - ln);
        if (label.empty() || std::isdigit(static_cast<unsigned char>(label[0]))) {
          return fail("bad label name");
        }
        if (!label_names.insert(label).second) return fail("label " + label + " repeated");
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          return fail("expected =\" after label " + label);
        }
        i += 2;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size()) return fail("dangling escape");
            const char e = line[i + 1];
            if (e != '\\' && e != '"' && e != 'n') return fail("bad escape in a label value");
            value += e == 'n' ? '\n' : e;
            i += 2;
          } else {
            value += line[i++];
          }
        }
        if (i >= line.size()) return fail("unterminated label value");
        ++i;  // closing quote
        if (label == "le") {
          le = value;
        } else {
          labels_without_le += label + "=" + value + ",";
        }
      }
      if (i >= line.size()) return fail("unterminated label set");
      ++i;  // '}'
      series = line.substr(0, i);
      (void)open;
    }
    if (i >= line.size() || line[i] != ' ') return fail("expected a space before the value");
    ++i;
    const size_t value_end = line.find(' ', i);
    const std::string value_text =
        line.substr(i, value_end == std::string::npos ? std::string::npos : value_end - i);
    double value;
    if (!ParseValue(value_text, &value)) return fail("bad value '" + value_text + "'");
    const std::string family = FamilyOf(name, out.types);
    if (!out.types.count(family)) return fail(family + ": sample without a TYPE line");
    if (!helped.count(family)) return fail(family + ": sample without a HELP line");
    sampled_families.insert(family);
    if (!out.samples.emplace(series, value).second) return fail("duplicate series " + series);
    if (out.types[family] == "counter" && (value < 0 || std::isnan(value))) {
      return fail("counter " + series + " is negative");
    }
    if (out.types[family] == "histogram") {
      const std::string key = family + "{" + labels_without_le + "}";
      if (name == family + "_bucket") {
        double bound;
        if (!ParseValue(le, &bound)) return fail("bucket without a valid le: " + series);
        auto& list = buckets[key];
        if (!list.empty() && !(bound > list.back().le)) return fail("le not ascending: " + series);
        if (!list.empty() && value < list.back().value) {
          return fail("buckets not cumulative: " + series);
        }
        list.push_back({bound, value});
      } else if (name == family + "_count") {
        counts[key] = value;
      } else if (name == family + "_sum") {
        sums.insert(key);
      } else {
        return fail("histogram " + family + " has a plain sample");
      }
    }
  }
  for (const auto& [key, list] : buckets) {
    if (list.empty() || !std::isinf(list.back().le)) {
      out.error = key + ": no +Inf bucket";
      return out;
    }
    auto it = counts.find(key);
    if (it == counts.end() || it->second != list.back().value) {
      out.error = key + ": _count missing or not equal to the +Inf bucket";
      return out;
    }
    if (!sums.count(key)) {
      out.error = key + ": no _sum";
      return out;
    }
  }
  return out;
}

}  // namespace respite::test
