#include "estd/client/operator_client.hpp"

#include <array>
#include <cctype>

#include "estd/client/est_client.hpp"
#include "estd/core/hex.hpp"

namespace estd::client {

namespace {

std::string percent_encode(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%' + to_hex(std::span(&u, 1), HexCase::upper);
        }
    }
    return out;
}

// The API's {"error": "..."} text when there is one, else the body itself.
Error api_error(const https::HttpResponse& response) {
    const auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
        https::HttpResponse shown = response;
        shown.body = body["error"].get<std::string>();
        return http_error(shown);
    }
    return http_error(response);
}

}  // namespace

std::string query_string(const QueryParameters& parameters) {
    std::string query;
    for (const auto& [name, value] : parameters) {
        query += (query.empty() ? "?" : "&") + percent_encode(name) + "=" + percent_encode(value);
    }
    return query;
}

OperatorClient::OperatorClient(OperatorClientOptions options) : options_(std::move(options)) {
}

Result<JsonAnswer> OperatorClient::get(const std::string& path, const QueryParameters& query) {
    return call(https::Method::get, options_.server.base + path + query_string(query), {});
}

Result<JsonAnswer> OperatorClient::post(const std::string& path, const nlohmann::json& body) {
    return call(https::Method::post, options_.server.base + path, body.dump());
}

Result<JsonAnswer> OperatorClient::call(https::Method method, const std::string& target,
                                        const std::string& body) {
    if (options_.api_key.empty()) {
        return Error::input("the operator API needs an API key");
    }
    const std::vector<https::HttpHeader> headers = {{"Authorization", "Bearer " + options_.api_key},
                                                    {"Accept", "application/json"}};
    for (int attempt = 0;; ++attempt) {
        const bool reused = connection_ && connection_->is_open();
        if (!reused) {
            auto opened = https::Connection::open(options_.server, options_.connection);
            if (!opened) {
                return std::move(opened).take_error();
            }
            connection_ = std::move(opened).value();
        }
        auto response = connection_->send(
            method, target, method == https::Method::post ? "application/json" : "", body, headers);
        if (!response) {
            if (reused && attempt == 0 && response.error().kind == ErrorKind::network) {
                connection_.reset();  // a kept-alive connection closed while idle
                continue;
            }
            return std::move(response).take_error();
        }
        if (response->status < 200 || response->status >= 300) {
            return api_error(*response);
        }
        auto json = nlohmann::json::parse(response->body, nullptr, false);
        if (json.is_discarded()) {
            return Error::protocol("the operator API answered something that is not JSON");
        }
        return JsonAnswer{response->status, std::move(json)};
    }
}

}  // namespace estd::client
