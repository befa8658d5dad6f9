#include "core/shape.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "core/error.h"

namespace xpulse {

std::vector<std::size_t> parse_shape(std::string_view text, std::size_t rank, std::string_view what) {
  std::vector<std::size_t> dims;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('x', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value == 0) {
      throw InvalidArgument(fmt::format("{} '{}' is not a shape of {} positive integers like {}", what, text,
                                        rank, rank == 3 ? "200x256x256" : "16x16"));
    }
    dims.push_back(value);
    start = end + 1;
  }
  if (dims.size() != rank) {
    throw InvalidArgument(fmt::format("{} '{}' has {} dimensions, expected {}", what, text, dims.size(), rank));
  }
  return dims;
}

std::vector<double> parse_number_list(std::string_view text, std::string_view what, std::string_view hint) {
  std::vector<double> values;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = text.substr(start, end - start);
    double value = 0;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || !std::isfinite(value)) {
      throw InvalidArgument(fmt::format("{} '{}': '{}' is not a number{}", what, text, item, hint));
    }
    values.push_back(value);
    start = end + 1;
  }
  return values;
}

std::pair<double, double> parse_range(std::string_view text, std::string_view what) {
  const std::size_t colon = text.find(':', text.empty() ? 0 : 1);  // allow a leading minus sign
  auto bad = [&] { return InvalidArgument(fmt::format("{} '{}' is not a range like -1:10", what, text)); };
  if (colon == std::string_view::npos) throw bad();
  double values[2];
  std::string_view parts[2] = {text.substr(0, colon), text.substr(colon + 1)};
  for (int i = 0; i < 2; ++i) {
    auto [ptr, ec] = std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), values[i]);
    if (parts[i].empty() || ec != std::errc() || ptr != parts[i].data() + parts[i].size()) throw bad();
  }
  if (!(values[1] > values[0])) {
    throw InvalidArgument(fmt::format("{} '{}' must have its end after its start", what, text));
  }
  return {values[0], values[1]};
}

}  // namespace xpulse
