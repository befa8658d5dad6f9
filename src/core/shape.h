#pragma once
// Parsing of the "AxBxC" shape strings used on the command line.
#include <cstddef>
#include <string_view>
#include <vector>

namespace xpulse {

// Parses "200x256x256" into {200, 256, 256}. Throws InvalidArgument naming `what` unless the string has
// exactly `rank` positive integers separated by 'x'.
std::vector<std::size_t> parse_shape(std::string_view text, std::size_t rank, std::string_view what);

// Parses "A:B" into two numbers (e.g. a delay range in ps); throws InvalidArgument naming `what`.
std::pair<double, double> parse_range(std::string_view text, std::string_view what);

}  // namespace xpulse
