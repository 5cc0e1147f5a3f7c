#include "estd/est/multipart.hpp"

namespace estd::est {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kTransferEncoding = "Content-Transfer-Encoding: base64";

std::string delimiter() {
    return "--" + std::string(kMultipartBoundary);
}

std::string part_header(const MimePart& part) {
    return delimiter() + std::string(kCrlf) + "Content-Type: " + part.content_type +
           std::string(kCrlf) + std::string(kTransferEncoding) + std::string(kCrlf) +
           std::string(kCrlf);
}

}  // namespace

std::string multipart_content_type() {
    return "multipart/mixed; boundary=" + std::string(kMultipartBoundary);
}

std::string multipart_mixed(const std::vector<MimePart>& parts) {
    const std::string closing = delimiter() + "--" + std::string(kCrlf);
    std::size_t size = closing.size();
    for (const auto& part : parts) {
        size += part_header(part).size() + part.base64->size() + kCrlf.size();
    }
    std::string body;
    body.reserve(size);
    for (const auto& part : parts) {
        body += part_header(part);
        body += *part.base64;
        body += kCrlf;
    }
    body += closing;
    return body;
}

}  // namespace estd::est
