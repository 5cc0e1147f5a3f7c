#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>

#include "estd/net/request_framing.hpp"
#include "estd/net/server.hpp"
#include "estd/net/tls_stream.hpp"

namespace estd::net {

class ConnectionRegistry;

struct SessionSettings {
    std::size_t max_header_bytes = 0;
    std::size_t max_body_bytes = 0;
    std::chrono::steady_clock::duration read_timeout{};    // handshake, one request, one response
    std::chrono::steady_clock::duration idle_timeout{};    // between kept-alive requests
    std::chrono::steady_clock::duration linger_timeout{};  // waiting for the peer's close
};

// Who answers a request, and on which threads (see AnswersAtOnce).
struct RequestHandling {
    const DeferringHandler& handler;
    const AnswersAtOnce& answers_at_once;
    boost::asio::thread_pool::executor_type workers;
};

// One TLS connection: handshake, then read request → call handler → write
// response, until the peer or the server closes. Every step runs on the
// connection's executor (one I/O thread, or a strand), except a handler sent
// to the worker pool, during which the connection does nothing else; the
// object lives as long as an operation holds it.
class Session : public std::enable_shared_from_this<Session> {
  public:
    // `socket`'s executor must not run two handlers at once (an io_context
    // run by one thread, or a strand). Everything passed by
    // reference must outlive the io_context the socket belongs to.
    Session(boost::asio::ip::tcp::socket&& socket, SSL_CTX* tls, const SessionSettings& settings,
            RequestHandling handling, ConnectionRegistry& registry,
            const std::atomic<bool>& server_stopping);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start();
    // Thread-safe. An idle (or still handshaking) connection is closed now; a
    // request being read or answered completes, then the connection closes.
    void request_close();

  private:
    enum class State { starting, handshake, idle, reading, responding, closing };

    bool should_close() const;

    void do_handshake();
    void on_handshake(boost::beast::error_code ec);
    void wait_for_request();
    void on_request_start(boost::beast::error_code ec);
    void read_request();
    void read_header_bytes();
    void on_header_bytes(boost::beast::error_code ec, std::size_t bytes);
    void on_header(boost::beast::error_code ec, std::size_t bytes);
    void on_continue(boost::beast::error_code ec, std::size_t bytes);
    void read_body();
    void on_read(boost::beast::error_code ec, std::size_t bytes);
    void handle_request();
    void call_handler();
    Responder responder();
    void respond(Response response);
    Response complete(const Request& request, Response response);
    void reject(boost::beast::http::status status, std::string reason);
    void send(Response response, bool keep_alive);
    void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
    void close_gracefully();
    void on_shutdown(boost::beast::error_code ec);
    void drain();
    void on_drain(boost::beast::error_code ec, std::size_t bytes);
    void on_close_requested();

    TlsStream stream_;
    const SessionSettings& settings_;
    RequestHandling handling_;
    ConnectionRegistry& registry_;
    const std::atomic<bool>& server_stopping_;
    std::string peer_address_;
    // Set when the handshake completes; every request on the connection
    // reads it.
    std::shared_ptr<const pki::PeerIdentity> peer_;
    std::uint64_t id_ = 0;

    State state_ = State::starting;
    bool close_requested_ = false;
    std::uint64_t requests_served_ = 0;
    // Bytes read and not yet parsed: at most max_header_bytes (a header, a
    // chunk-size line with its extensions, the trailer section, the start
    // of a pipelined request); past it a read fails with buffer_overflow.
    boost::beast::flat_buffer buffer_;
    std::size_t header_scanned_ = 0;  // how much of buffer_ find_header_end saw
    // On the heap while in use: held inline they were ~600 of a Session's
    // ~800 bytes, on every idle connection.
    std::unique_ptr<RequestParser> parser_;
    std::unique_ptr<boost::beast::http::response<boost::beast::http::empty_body>> continue_;
    // The request being answered: the handler may read it until it responds.
    std::unique_ptr<Request> request_;
    std::unique_ptr<Response> response_;  // kept alive until written
};

}  // namespace estd::net
