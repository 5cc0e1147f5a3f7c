#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/beast/http.hpp>

#include "estd/config/config.hpp"
#include "estd/core/error.hpp"
#include "estd/pki/peer_identity.hpp"

namespace estd::net {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// A request and the peer of the connection it arrived on (read once after
// the handshake, see net::read_peer_identity), answered in the call.
using Handler = std::function<Response(const Request&, const pki::PeerIdentity&)>;

// How a DeferringHandler answers: respond() once, in the call or later, from
// any thread. Until then the request stays alive and the connection does
// nothing else; resume() runs work on the connection's own thread meanwhile
// (the rest of a request once something it waited for has completed).
class Responder {
  public:
    using Send = std::function<void(Response)>;
    using Post = std::function<void(std::function<void()>)>;
    Responder(Send send, Post post) : send_(std::move(send)), post_(std::move(post)) {}

    void respond(Response response) const { send_(std::move(response)); }
    void resume(std::function<void()> work) const { post_(std::move(work)); }

  private:
    Send send_;
    Post post_;
};
// A handler that may answer after it returns, e.g. once a store commit
// completes, without a thread waiting for it.
using DeferringHandler = std::function<void(const Request&, const pki::PeerIdentity&, Responder)>;
// True for a request the handler answers without waiting (from memory): it
// is handled on the I/O thread that read it. Any other request (one that
// waits for a store commit, a signer or a query) runs on the worker pool, so
// I/O threads never wait. Unset: every request goes to the pool.
using AnswersAtOnce = std::function<bool(const Request&)>;

// A snapshot of the listener's counters, e.g. for a metrics endpoint.
struct ServerStats {
    std::size_t active_connections = 0;
    std::uint64_t accepted_connections = 0;
    std::uint64_t rejected_connections = 0;  // refused because max_connections was reached
    std::uint64_t tls_handshake_failures = 0;
    std::uint64_t requests = 0;  // requests handed to the handler
};

// The HTTPS listener: one io_context on N threads, one session per
// connection, a worker pool for requests that may wait, bounded sizes and
// times, graceful stop.
class Server {
  public:
    Server(const config::ListenerConfig& listener, DeferringHandler handler,
           AnswersAtOnce answers_at_once = {});
    Server(const config::ListenerConfig& listener, Handler handler,
           AnswersAtOnce answers_at_once = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Loads the TLS material and binds; an error names what failed.
    Status open();
    // Serves until stop() is called or SIGINT/SIGTERM arrives; then stops
    // accepting, lets in-flight requests finish and returns. SIGHUP calls the
    // reload hook and keeps serving. Call once, after a successful open().
    void run();
    // Thread-safe; may be called before, during or after run().
    void stop();
    // The bound port (useful when the configured port was 0).
    unsigned short port() const;

    // Called (on an I/O thread, off the accept path) on each SIGHUP. Set it
    // before run(). Exceptions it throws are logged and swallowed.
    void on_reload(std::function<void()> hook);
    // Thread-safe, lock-free.
    ServerStats stats() const;

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace estd::net
