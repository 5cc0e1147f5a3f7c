#pragma once

#include <boost/beast/http.hpp>

#include <functional>
#include <memory>
#include <string>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/net/connection_info.hpp"

namespace estd::net {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Handler = std::function<Response(const Request&, const ConnectionInfo&)>;

// The HTTPS listener: one io_context on N threads, one session per
// connection, bounded sizes and times, graceful stop.
class Server {
public:
    Server(const config::ListenerConfig& listener, Handler handler);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Loads the TLS material and binds; an error names what failed.
    Status open();
    // Serves until stop() is called or SIGINT/SIGTERM arrives; then stops
    // accepting, lets in-flight requests finish and returns.
    void run();
    void stop();
    // The bound port (useful when the configured port was 0).
    unsigned short port() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace estd::net
