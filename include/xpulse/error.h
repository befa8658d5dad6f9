#pragma once
// Error types of xpulse. Library code throws these; only the CLI turns them into a message and an exit code.
#include <stdexcept>
#include <string>

namespace xpulse {

// Base of every error xpulse raises on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user's input is wrong: a file, dataset, shape, value or flag. The CLI exits with code 2.
class InputError : public Error {
 public:
  using Error::Error;
};

// An option or argument outside its allowed range (names the field and the allowed range).
class InvalidArgument : public InputError {
 public:
  using InputError::InputError;
};

// A file cannot be opened, read or written (names the file and what went wrong).
class IoError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace xpulse
