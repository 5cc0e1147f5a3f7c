#pragma once

// Cheap checks on files named by the configuration: readable, and for a
// trust bundle, holding at least one PEM certificate. Deeper parsing belongs
// to the rooms that use the files.

#include <optional>
#include <string>

namespace estd::config::files {

// Why `path` cannot be read as a regular file, or std::nullopt when it can.
std::optional<std::string> unreadable_reason(const std::string& path);

// Why `path` is not a readable file with at least one
// "-----BEGIN CERTIFICATE-----", or std::nullopt when it is.
std::optional<std::string> certificate_bundle_problem(const std::string& path);

}  // namespace estd::config::files
