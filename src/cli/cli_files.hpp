#pragma once

#include <string>
#include <string_view>

#include "estd/client/error.hpp"

namespace estd::cli {

client::Expected<std::string> read_text_file(const std::string& path);

// The first line of a password file, without its line end; refuses an
// empty password. The password is never echoed in errors.
client::Expected<std::string> read_password_file(const std::string& path);

enum class FileMode { public_data, secret };

// Writes atomically enough for a CLI (truncate + write); secrets get 0600.
client::Outcome write_output_file(const std::string& path, std::string_view content,
                                  FileMode mode = FileMode::public_data);

}  // namespace estd::cli
