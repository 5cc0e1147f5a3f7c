#pragma once

#include <string>
#include <string_view>

#include "estd/core/error.hpp"

namespace estd::cli {

Result<std::string> read_text_file(const std::string& path);

// The first line of a password file, without its line end; refuses an
// empty password. The password is never echoed in errors.
Result<std::string> read_password_file(const std::string& path);

enum class FileMode { public_data, secret };

// Writes `content` to `path`; secrets get 0600. A regular file (or a new
// one) is replaced atomically: written to a temporary file beside it, then
// renamed over it, so `reenroll --cert dev.crt --out dev.crt` never leaves a
// truncated certificate behind. Anything else (a symlink, /dev/stdout, a
// FIFO) is written in place.
Status write_output_file(const std::string& path, std::string_view content,
                         FileMode mode = FileMode::public_data);

}  // namespace estd::cli
