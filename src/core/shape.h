#pragma once
// Parsing of the "AxBxC" shape strings, ranges and number lists used on the command line.
#include <cstddef>
#include <string_view>
#include <vector>

namespace xpulse {

// Parses "200x256x256" into {200, 256, 256}. Throws InvalidArgument naming `what` unless the string has
// exactly `rank` positive integers separated by 'x'.
std::vector<std::size_t> parse_shape(std::string_view text, std::size_t rank, std::string_view what);

// Parses "1.5,2,3e2" into its numbers; throws InvalidArgument "{what} '{text}': '{item}' is not a number{hint}"
// for an empty or non-numeric (or non-finite) item.
std::vector<double> parse_number_list(std::string_view text, std::string_view what, std::string_view hint);

// Parses "A:B" into two numbers (e.g. a delay range in ps); throws InvalidArgument naming `what`.
std::pair<double, double> parse_range(std::string_view text, std::string_view what);

}  // namespace xpulse
