#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "estd/client/connection_options.hpp"
#include "estd/client/url.hpp"
#include "estd/core/error.hpp"
#include "estd/https/connection.hpp"

namespace estd::client {

struct OperatorClientOptions {
    ServerUrl server;
    https::ConnectionOptions connection = connection_options();
    std::string api_key;  // Bearer key (CERTCTL_API_KEYS_NAMED); never printed
};

struct JsonAnswer {
    unsigned status = 0;
    nlohmann::json body;
};

using QueryParameters = std::vector<std::pair<std::string, std::string>>;

// "?a=1&b=x%20y" (RFC 3986 percent-encoding); empty for no parameters.
std::string query_string(const QueryParameters& parameters);

// estd's operator API (/api/v1/...): JSON in, JSON out, Bearer key. A non-2xx
// answer is an ErrorKind::http error carrying the API's "error" text.
class OperatorClient {
  public:
    explicit OperatorClient(OperatorClientOptions options);

    Result<JsonAnswer> get(const std::string& path, const QueryParameters& query = {});
    Result<JsonAnswer> post(const std::string& path, const nlohmann::json& body);

  private:
    Result<JsonAnswer> call(https::Method method, const std::string& target,
                            const std::string& body);

    OperatorClientOptions options_;
    std::unique_ptr<https::Connection> connection_;
};

}  // namespace estd::client
