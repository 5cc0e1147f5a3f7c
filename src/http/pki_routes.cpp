#include "estd/http/pki_routes.hpp"

#include "estd/core/percent_decode.hpp"
#include "estd/http/query.hpp"
#include "estd/http/response.hpp"
#include "estd/pki/base64.hpp"

namespace estd::http {
namespace beast_http = boost::beast::http;

namespace {

constexpr std::string_view kCrlPrefix = "/.well-known/pki/crls/";
constexpr std::string_view kOcspPath = "/.well-known/pki/ocsp";
constexpr std::string_view kCrlSuffix = ".crl";
constexpr std::string_view kCertPrefix = "/.well-known/pki/certs/";
constexpr std::string_view kCertSuffix = ".crt";

std::string as_string(const pki::Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

net::Response method_not_allowed(const net::Request& req, std::string_view allow) {
    auto res = text_response(req, 405, "allowed: " + std::string(allow));
    res.set(beast_http::field::allow, allow);
    return res;
}

net::Response ocsp_response(const net::Request& req, const pki::Bytes& der) {
    auto res = make_response(req, 200, "application/ocsp-response", as_string(der));
    // Answers come from the live store: caches must not keep them.
    res.set(beast_http::field::cache_control, "no-cache");
    return res;
}

}  // namespace

net::Response PkiRoutes::handle(const net::Request& req) {
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.starts_with(kCrlPrefix)) {
        return crl(req, path.substr(kCrlPrefix.size()));
    }
    if (path.starts_with(kCertPrefix)) {
        return ca_certificate(req, path.substr(kCertPrefix.size()));
    }
    if (path == kOcspPath || path.starts_with(std::string(kOcspPath) + "/")) {
        return ocsp(req, path.substr(std::min(path.size(), kOcspPath.size() + 1)));
    }
    return text_response(req, 404, "not found: " + std::string(path));
}

net::Response PkiRoutes::crl(const net::Request& req, std::string_view file) {
    if (req.method() != beast_http::verb::get) {
        return method_not_allowed(req, "GET");
    }
    if (!file.ends_with(kCrlSuffix) || file.size() == kCrlSuffix.size()) {
        return text_response(req, 404, "a CRL is at /.well-known/pki/crls/<issuer-id>.crl");
    }
    const std::string issuer_id(file.substr(0, file.size() - kCrlSuffix.size()));
    if (!crls_.knows(issuer_id)) {
        return text_response(req, 404, "no issuer \"" + issuer_id + "\"");
    }
    const auto der = crls_.crl(issuer_id);
    if (!der) {
        return text_response(req, 503, "the CRL of issuer " + issuer_id + " is not available yet");
    }
    return make_response(req, 200, "application/pkix-crl", as_string(*der));
}

net::Response PkiRoutes::ca_certificate(const net::Request& req, std::string_view file) {
    if (req.method() != beast_http::verb::get) {
        return method_not_allowed(req, "GET");
    }
    const auto issuer =
        file.ends_with(kCertSuffix)
            ? ca_certificates_.find(file.substr(0, file.size() - kCertSuffix.size()))
            : ca_certificates_.end();
    if (issuer == ca_certificates_.end()) {
        return text_response(req, 404,
                             "no CA certificate at " + std::string(kCertPrefix) +
                                 std::string(file) + "; it is at <issuer-id>.crt");
    }
    return make_response(req, 200, "application/pkix-cert", issuer->second);
}

net::Response PkiRoutes::ocsp(const net::Request& req, std::string_view encoded) {
    if (req.method() == beast_http::verb::post) {
        if (!encoded.empty()) {
            return text_response(req, 404, "POST OCSP requests to /.well-known/pki/ocsp");
        }
        const auto& body = req.body();
        return ocsp_response(
            req, ocsp_.respond(
                     std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size())));
    }
    if (req.method() != beast_http::verb::get) {
        return method_not_allowed(req, "GET, POST");
    }
    // RFC 6960 A.1: the URL-encoded base64 of the DER request. Some clients
    // send the URL-safe alphabet, or leave '+' unescaped (not a space here).
    auto decoded = percent_decode(encoded, false);
    if (decoded) {
        for (char& c : *decoded) {
            c = c == '-' ? '+' : c == '_' ? '/' : c;
        }
        while (decoded->size() % 4 != 0) {
            decoded->push_back('=');
        }
    }
    const auto der = decoded ? pki::base64_decode_lenient(*decoded) : std::nullopt;
    if (!der) {
        return ocsp_response(req, pki::ocsp_failure_response(pki::OcspFailure::malformed_request));
    }
    return ocsp_response(req, ocsp_.respond(*der));
}

}  // namespace estd::http
