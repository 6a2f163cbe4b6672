// Errors as values on the control path (CONVENTIONS.md §8).
//
// Thread-safety: plain value types, no shared state.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace isoswitch {

// Stable machine-readable codes; the control protocol sends them as strings
// (see error_code_name) so scripts can branch on them.
enum class ErrorCode {
  kInvalidArgument,   // a request or document is malformed or violates a rule
  kNotFound,          // an id/port/file that does not exist
  kConflict,          // expect_generation mismatch, duplicate id, ...
  kPermissionDenied,  // peer credentials refused
  kTooLarge,          // request or document over a limit
  kUnavailable,       // the daemon cannot do it now (shutting down, no ports)
  kIo,                // a file or socket error
  kInternal,          // a bug: should never reach a user
};

inline const char* error_code_name(ErrorCode c) noexcept {
  switch (c) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // says what is wrong and, for documents, the JSON path
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace isoswitch
