#include "session.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <spdlog/spdlog.h>

#include "connection_registry.hpp"
#include "estd/core/time_format.hpp"
#include "estd/net/peer_identity.hpp"
#include "estd/net/request_framing.hpp"

namespace estd::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// How much to read at a time while draining a closed connection, and while
// waiting for a request header.
constexpr std::size_t kDrainBytes = 16 * 1024;
constexpr std::size_t kHeaderReadBytes = 4 * 1024;

std::string peer_address_of(const tcp::socket& socket) {
    beast::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) {
        return "unknown";
    }
    const auto address = endpoint.address();
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; report the
    // address the client actually has.
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
    }
    return address.to_string();
}

Response text_response(http::status status, std::string body) {
    Response response{status, 11};
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = std::move(body);
    return response;
}

// estd speaks only HTTPS and serves no HTML but the console's: browsers (an
// operator calling the API from one) must not downgrade, sniff a type or
// render a body. The console (/est) sets its own, self-only policy, which
// stays; every other answer gets the deny-all one.
void add_security_headers(Response& response) {
    response.set(http::field::strict_transport_security, "max-age=31536000");
    response.set("X-Content-Type-Options", "nosniff");
    if (response.find("Content-Security-Policy") == response.end()) {
        response.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    }
}

// The Date field changes once a second: formatted once a second per thread,
// not once per response (~2% of a cacerts).
const std::string& http_date_now() {
    thread_local std::chrono::system_clock::time_point formatted_second{};
    thread_local std::string formatted;
    const auto second = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    if (second != formatted_second || formatted.empty()) {
        formatted = format_http_date(second);
        formatted_second = second;
    }
    return formatted;
}

bool is_http_error(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_version).category();
}

// A peer closing or resetting, a timeout, a shutdown: routine, not worth
// more than a debug line.
bool is_routine_disconnect(const beast::error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::operation_aborted ||
           ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated ||
           ec == beast::error::timeout || ec == http::error::end_of_stream ||
           ec == http::error::partial_message;
}

}  // namespace

Session::Session(tcp::socket&& socket, SSL_CTX* tls, const SessionSettings& settings,
                 RequestHandling handling, ConnectionRegistry& registry,
                 const std::atomic<bool>& server_stopping)
    : stream_(std::move(socket), tls),
      settings_(settings),
      handling_(std::move(handling)),
      registry_(registry),
      server_stopping_(server_stopping),
      peer_address_(peer_address_of(stream_.socket())),
      buffer_(settings.max_header_bytes) {
}

Session::~Session() {
    registry_.remove(id_);
    spdlog::debug("net: connection {} from {} closed after {} request(s)", id_, peer_address_,
                  requests_served_);
}

void Session::start() {
    id_ = registry_.add(shared_from_this());
    spdlog::debug("net: connection {} from {} accepted", id_, peer_address_);
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::do_handshake, shared_from_this()));
}

void Session::request_close() {
    asio::post(stream_.get_executor(),
               beast::bind_front_handler(&Session::on_close_requested, shared_from_this()));
}

bool Session::should_close() const {
    return close_requested_ || server_stopping_.load(std::memory_order_acquire);
}

void Session::on_close_requested() {
    close_requested_ = true;
    // Nothing is in flight: cancelling the pending read ends the session.
    // Otherwise the request being read or answered completes first and the
    // response says "Connection: close".
    if (state_ == State::handshake || state_ == State::idle) {
        stream_.cancel();
    }
}

void Session::do_handshake() {
    if (should_close()) {
        return;
    }
    state_ = State::handshake;
    stream_.expires_after(settings_.read_timeout);
    stream_.async_handshake(beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
}

void Session::on_handshake(beast::error_code ec) {
    if (ec) {
        if (ec != asio::error::operation_aborted) {  // not when shutdown cancelled it
            registry_.count_handshake_failure();
        }
        spdlog::debug("net: connection {} from {}: TLS handshake failed: {}", id_, peer_address_,
                      ec.message());
        return;
    }
    peer_ = std::make_shared<const pki::PeerIdentity>(
        read_peer_identity(stream_.native_handle(), peer_address_));
    spdlog::debug("net: connection {} from {}: {} {}", id_, peer_address_, peer_->tls_version_name,
                  SSL_get_cipher_name(stream_.native_handle()));
    wait_for_request();
}

// Waiting for a request is split in two so each phase gets its own bound:
// until its first bytes arrive (idle_timeout between kept-alive requests,
// read_timeout for the first one), then the whole request (read_timeout).
// The split also tells shutdown which connections are idle. An idle
// connection holds no read buffer: it is given back here and taken again
// when bytes arrive.
void Session::wait_for_request() {
    if (should_close()) {
        return;
    }
    if (buffer_.size() > 0) {
        read_request();  // a pipelined request is already buffered
        return;
    }
    buffer_.shrink_to_fit();
    state_ = State::idle;
    stream_.expires_after(requests_served_ == 0 ? settings_.read_timeout : settings_.idle_timeout);
    stream_.async_wait_readable(
        beast::bind_front_handler(&Session::on_request_start, shared_from_this()));
}

void Session::on_request_start(beast::error_code ec) {
    if (ec) {
        if (!is_routine_disconnect(ec)) {
            spdlog::debug("net: connection {} from {}: read failed: {}", id_, peer_address_,
                          ec.message());
        }
        return;
    }
    read_request();
}

void Session::read_request() {
    state_ = State::reading;
    parser_ = std::make_unique<RequestParser>(settings_.max_header_bytes, settings_.max_body_bytes);
    header_scanned_ = 0;
    stream_.expires_after(settings_.read_timeout);  // header, 100 Continue and body together
    read_header_bytes();
}

// The header is read here until its blank line, then handed to Beast, which
// parses it from the buffer: an obsolete line folding must be seen in the
// raw bytes, since Beast unfolds it (a folded "Transfer-Encoding:\r\n
// chunked" would read as chunked).
void Session::read_header_bytes() {
    const std::string_view buffered(static_cast<const char*>(buffer_.data().data()),
                                    buffer_.size());
    if (const auto end = find_header_end(buffered, header_scanned_)) {
        if (has_obsolete_fold(buffered.substr(0, *end))) {
            reject(http::status::bad_request, "obsolete line folding in the request header\n");
            return;
        }
        if (header_field_count(buffered.substr(0, *end)) > kMaxHeaderFields) {
            reject(
                http::status::payload_too_large,
                "request header has more than " + std::to_string(kMaxHeaderFields) + " fields\n");
            return;
        }
        http::async_read_header(stream_, buffer_, parser_->get(),
                                beast::bind_front_handler(&Session::on_header, shared_from_this()));
        return;
    }
    if (buffer_.size() >= buffer_.max_size()) {
        on_read(http::error::header_limit, 0);
        return;
    }
    stream_.async_read_some(
        buffer_.prepare(std::min(kHeaderReadBytes, buffer_.max_size() - buffer_.size())),
        beast::bind_front_handler(&Session::on_header_bytes, shared_from_this()));
}

void Session::on_header_bytes(beast::error_code ec, std::size_t bytes) {
    buffer_.commit(bytes);
    if (ec == asio::error::eof && buffer_.size() == 0) {
        ec = http::error::end_of_stream;
    } else if (ec == asio::error::eof) {
        ec = http::error::partial_message;
    }
    if (ec) {
        on_read(ec, bytes);
        return;
    }
    read_header_bytes();
}

// A client that sent "Expect: 100-continue" waits for our go-ahead before
// sending the body (curl waits a second, then sends anyway). A body over the
// limit announced by Content-Length has already failed the header read.
void Session::on_header(beast::error_code ec, std::size_t bytes) {
    if (ec) {
        on_read(ec, bytes);
        return;
    }
    const auto& header = parser_->get().get();
    if (auto problem = ambiguous_framing(header, parser_->get().chunked())) {
        reject(http::status::bad_request, "ambiguous request framing: " + *problem + "\n");
        return;
    }
    if (auto problem = invalid_fields(header)) {
        reject(http::status::bad_request, "invalid request header: " + *problem + "\n");
        return;
    }
    parser_->header_done();
    const auto expect = header[http::field::expect];
    if (!parser_->get().is_done() && header.version() >= 11 &&
        beast::iequals(expect, "100-continue")) {
        continue_ = std::make_unique<http::response<http::empty_body>>(http::status::continue_, 11);
        http::async_write(stream_, *continue_,
                          beast::bind_front_handler(&Session::on_continue, shared_from_this()));
        return;
    }
    read_body();
}

void Session::on_continue(beast::error_code ec, std::size_t /*bytes*/) {
    continue_.reset();
    if (ec) {
        return;
    }
    read_body();
}

void Session::read_body() {
    http::async_read(stream_, buffer_, parser_->get(),
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
}

void Session::on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::header_limit) {
        reject(http::status::payload_too_large, "request header exceeds the limit of " +
                                                    std::to_string(settings_.max_header_bytes) +
                                                    " bytes\n");
        return;
    }
    if (ec == http::error::buffer_overflow) {
        // A chunk-size line or the trailer section longer than the buffer.
        reject(http::status::payload_too_large, "chunk framing or trailer exceeds the limit of " +
                                                    std::to_string(settings_.max_header_bytes) +
                                                    " bytes\n");
        return;
    }
    if (ec == http::error::body_limit) {
        reject(http::status::payload_too_large, "request body exceeds the limit of " +
                                                    std::to_string(settings_.max_body_bytes) +
                                                    " bytes\n");
        return;
    }
    if (ec && !is_routine_disconnect(ec) && is_http_error(ec)) {
        reject(http::status::bad_request, "malformed HTTP request: " + ec.message() + "\n");
        return;
    }
    if (ec) {
        if (!is_routine_disconnect(ec)) {
            spdlog::debug("net: connection {} from {}: read failed: {}", id_, peer_address_,
                          ec.message());
        }
        return;  // a timeout or a vanished peer: nobody to answer
    }
    if (parser_->trailers()) {
        // Beast adds them to the header's fields, after the checks above.
        reject(http::status::bad_request, "trailer fields are not accepted\n");
        return;
    }
    handle_request();
}

void Session::handle_request() {
    state_ = State::responding;
    ++requests_served_;
    registry_.count_request();
    request_ = std::make_unique<Request>(parser_->get().release());
    parser_.reset();

    if (handling_.answers_at_once && handling_.answers_at_once(*request_)) {
        call_handler();
        return;
    }
    // The connection does nothing else until the response comes back to
    // its executor.
    asio::post(handling_.workers, [self = shared_from_this()] { self->call_handler(); });
}

// A handler that has handed its responder on may have answered already, on
// another thread: past the call, request_ is not this thread's to read.
void Session::call_handler() {
    try {
        handling_.handler(*request_, *peer_, responder());
        return;
    } catch (const std::exception& e) {
        spdlog::error("net: connection {} from {}: handler failed: {}", id_, peer_address_,
                      e.what());
    } catch (...) {
        spdlog::error("net: connection {} from {}: handler failed: unknown exception", id_,
                      peer_address_);
    }
    responder().respond(text_response(http::status::internal_server_error, "internal error\n"));
}

// Both run on the connection's executor: in the call when the handler
// answers there, posted otherwise.
Responder Session::responder() {
    const auto executor = stream_.get_executor();
    return Responder(
        [self = shared_from_this(), executor](Response response) {
            asio::dispatch(executor, [self, response = std::move(response)]() mutable {
                self->respond(std::move(response));
            });
        },
        [executor](std::function<void()> work) { asio::post(executor, std::move(work)); });
}

void Session::respond(Response response) {
    if (!request_) {
        spdlog::error("net: connection {} from {}: a second response to one request dropped", id_,
                      peer_address_);
        return;
    }
    const std::unique_ptr<Request> request = std::move(request_);
    response = complete(*request, std::move(response));
    const bool keep_alive = request->keep_alive() && !should_close() &&
                            !http::token_list{response[http::field::connection]}.exists("close");
    response.version(request->version());
    response.keep_alive(keep_alive);
    spdlog::debug("net: connection {} from {}: {} {} -> {}", id_, peer_address_,
                  request->method_string(), request->target(), response.result_int());
    send(std::move(response), keep_alive);
}

Response Session::complete(const Request& request, Response response) {
    try {
        if (request.method() == http::verb::head) {
            // The header describes the body a GET would get; none is sent.
            if (!response.has_content_length()) {
                response.content_length(response.body().size());
            }
            response.body().clear();
        } else {
            response.prepare_payload();  // throws on a body a 204/304 may not have
        }
        return response;
    } catch (const std::exception& e) {
        spdlog::error("net: connection {} from {}: unusable response to {} {}: {}", id_,
                      peer_address_, request.method_string(), request.target(), e.what());
    }
    Response error = text_response(http::status::internal_server_error, "internal error\n");
    error.prepare_payload();
    return error;
}

// The rest of the stream cannot be trusted to be framed correctly, so the
// connection closes after the error response.
void Session::reject(http::status status, std::string reason) {
    spdlog::debug("net: connection {} from {}: rejected with {}: {}", id_, peer_address_,
                  static_cast<unsigned>(status), reason);
    Response response = text_response(status, std::move(reason));
    response.keep_alive(false);
    response.prepare_payload();
    parser_.reset();
    send(std::move(response), false);
}

void Session::send(Response response, bool keep_alive) {
    state_ = State::responding;
    add_security_headers(response);
    // RFC 9110 §6.6.1: an origin server with a clock MUST send Date.
    response.set(http::field::date, http_date_now());
    response_ = std::make_unique<Response>(std::move(response));
    // A peer that stops reading must not pin the connection forever.
    stream_.expires_after(settings_.read_timeout);
    http::async_write(
        stream_, *response_,
        beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
}

void Session::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
    response_.reset();
    if (ec) {
        if (!is_routine_disconnect(ec)) {
            spdlog::debug("net: connection {} from {}: write failed: {}", id_, peer_address_,
                          ec.message());
        }
        return;
    }
    if (!keep_alive || should_close()) {
        close_gracefully();
        return;
    }
    wait_for_request();
}

// A lingering close: send close_notify, then half-close TCP and read and
// discard what the peer still sends (e.g. the rest of a body we refused)
// until it closes or linger_timeout passes. Closing with unread data would
// reset the connection, and a reset can destroy the response before the
// client has read it. (OpenSSL 3 fails SSL_shutdown on application data
// arriving after our close_notify, hence the draining below TLS.)
void Session::close_gracefully() {
    state_ = State::closing;
    stream_.expires_after(settings_.linger_timeout);
    stream_.async_shutdown(beast::bind_front_handler(&Session::on_shutdown, shared_from_this()));
}

void Session::on_shutdown(beast::error_code ec) {
    if (ec == beast::error::timeout || !stream_.socket().is_open()) {
        return;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    drain();
}

void Session::drain() {
    stream_.socket().async_read_some(
        buffer_.prepare(std::min(kDrainBytes, buffer_.max_size())),
        beast::bind_front_handler(&Session::on_drain, shared_from_this()));
}

void Session::on_drain(beast::error_code ec, std::size_t /*bytes*/) {
    if (!ec) {
        drain();  // the expiry set in close_gracefully() still bounds this
    }
}

}  // namespace estd::net
