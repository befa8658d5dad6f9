#pragma once
// The numeric element types a dataset can hold on disk and a caller can ask for in memory, and the one
// conversion routine between them (the reader's "copy out of a decoded chunk" step).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace xpulse::io {

enum class DType : std::uint8_t { u8, i8, u16, i16, u32, i32, u64, i64, f32, f64 };

std::size_t dtype_size(DType t);
std::string_view dtype_name(DType t);  // "uint16", "float32", ...

template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::u8; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::i8; }
template <> constexpr DType dtype_of<std::uint16_t>() { return DType::u16; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::i16; }
template <> constexpr DType dtype_of<std::uint32_t>() { return DType::u32; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<std::uint64_t>() { return DType::u64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }

// Converts n elements (C semantics: static_cast). Same type is a memcpy. Regions must not overlap.
void convert_elements(const void* src, DType src_type, void* dst, DType dst_type, std::size_t n);

}  // namespace xpulse::io
