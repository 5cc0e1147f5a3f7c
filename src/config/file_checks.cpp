#include "file_checks.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace estd::config::files {
namespace {

constexpr std::string_view kPemCertificate = "-----BEGIN CERTIFICATE-----";
constexpr std::size_t kMaxBundleBytes = 16 * 1024 * 1024;

}  // namespace

std::optional<std::string> unreadable_reason(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        return ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such file";
    }
    if (std::filesystem::is_directory(status)) {
        return "is a directory, not a file";
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int error = errno;
        return error != 0 ? std::strerror(error) : "cannot be opened";
    }
    return std::nullopt;
}

std::optional<std::string> certificate_bundle_problem(const std::string& path) {
    if (auto reason = unreadable_reason(path)) {
        return reason;
    }
    std::ifstream in(path, std::ios::binary);
    std::string content;
    content.resize(kMaxBundleBytes);
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.find(kPemCertificate) == std::string::npos) {
        return "holds no PEM certificate (\"" + std::string(kPemCertificate) + "\")";
    }
    return std::nullopt;
}

}  // namespace estd::config::files
