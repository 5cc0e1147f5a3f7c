#include "estd/http/response.hpp"

#include "estd/http/error_status.hpp"

namespace estd::http {

namespace beast_http = boost::beast::http;

net::Response make_response(const net::Request& req, unsigned status, std::string_view content_type,
                            std::string body) {
    net::Response res{static_cast<beast_http::status>(status), req.version()};
    res.set(beast_http::field::server, "estd");
    if (!content_type.empty()) {
        res.set(beast_http::field::content_type, content_type);
    }
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

net::Response text_response(const net::Request& req, unsigned status, std::string_view text) {
    std::string body(text);
    if (body.empty() || body.back() != '\n') {
        body.push_back('\n');
    }
    return make_response(req, status, "text/plain; charset=utf-8", std::move(body));
}

net::Response error_response(const net::Request& req, const Error& error) {
    auto res = text_response(req, status_of(error.kind), error.message);
    for (const auto& [name, value] : headers_of(error)) {
        res.set(name, value);
    }
    return res;
}

}  // namespace estd::http
