#include "estd/net/tls_stream.hpp"

#include <cerrno>
#include <exception>
#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>

namespace estd::net {

namespace asio = boost::asio;
namespace beast = boost::beast;

TlsStream::Core::Core(asio::ip::tcp::socket&& s)
    : socket(std::move(s)), timer(socket.get_executor()) {
}

TlsStream::TlsStream(asio::ip::tcp::socket&& socket, SSL_CTX* context)
    : core_(std::make_shared<Core>(std::move(socket))), ssl_(SSL_new(context)) {
    if (!ssl_) {
        throw std::runtime_error("SSL_new failed");
    }
    // OpenSSL reads and writes the descriptor directly, so it must never
    // block; Asio still owns and closes it.
    core_->socket.native_non_blocking(true);
    if (SSL_set_fd(ssl_.get(), static_cast<int>(core_->socket.native_handle())) != 1) {
        throw std::runtime_error("SSL_set_fd failed");
    }
    SSL_set_accept_state(ssl_.get());
    // One read(2) for whatever has arrived rather than two per record (its
    // header, then its body); what is read ahead counts as pending, which
    // async_wait_readable checks.
    SSL_set_read_ahead(ssl_.get(), 1);
    SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                 SSL_MODE_RELEASE_BUFFERS);
}

TlsStream::~TlsStream() {
    try {
        core_->timer.cancel();
    } catch (const std::exception&) {
        // Asio reports a failed cancel only by throwing (the error_code
        // overload is deprecated); a destructor must not throw, and the
        // timer's pending wait ends with the stream's core either way.
    }
    beast::error_code ignored;
    core_->socket.close(ignored);
}

// A session moves its deadline three times a request, nearly always later:
// re-arming the timer each time (a cancelled wait completed, a new one
// queued) was ~5% of a cacerts. The timer is re-armed only for an earlier
// deadline; a wait that ends before the current deadline arms itself again
// for the rest.
void TlsStream::expires_after(std::chrono::steady_clock::duration timeout) {
    core_->expired = false;
    core_->deadline = std::chrono::steady_clock::now() + timeout;
    if (core_->timer_armed && core_->timer.expiry() <= core_->deadline) {
        return;
    }
    arm(core_);
}

void TlsStream::arm(const std::shared_ptr<Core>& core) {
    core->timer.expires_at(core->deadline);  // ends a pending wait with operation_aborted
    core->timer_armed = true;
    core->timer.async_wait([weak = std::weak_ptr<Core>(core)](const beast::error_code& ec) {
        const auto live = weak.lock();
        if (ec || !live) {
            return;  // re-armed, cancelled or gone
        }
        live->timer_armed = false;
        if (std::chrono::steady_clock::now() < live->deadline) {
            arm(live);  // the deadline moved on meanwhile
            return;
        }
        live->expired = true;
        beast::error_code ignored;
        live->socket.cancel(ignored);
    });
}

void TlsStream::cancel() {
    beast::error_code ignored;
    core_->socket.cancel(ignored);
}

beast::error_code TlsStream::wait_failure(const beast::error_code& ec) const {
    if (ec == asio::error::operation_aborted && core_->expired) {
        return beast::error::timeout;
    }
    return ec;
}

TlsStream::Attempt TlsStream::attempt(Step step, asio::mutable_buffer buffer) {
    SSL* ssl = ssl_.get();
    ERR_clear_error();  // the error queue is the thread's, not the connection's
    int result = 1;
    std::size_t bytes = 0;
    switch (step) {
        case Step::handshake:
            result = SSL_do_handshake(ssl);
            break;
        case Step::wait_readable:
            return {SSL_has_pending(ssl) == 1 ? Want::nothing : Want::read, 0, {}};
        case Step::read:
            if (buffer.size() == 0) {
                return {};
            }
            result = SSL_read_ex(ssl, buffer.data(), buffer.size(), &bytes);
            break;
        case Step::write:
            if (buffer.size() == 0) {
                return {};
            }
            result = SSL_write_ex(ssl, buffer.data(), buffer.size(), &bytes);
            break;
        case Step::shutdown:
            // 0: our close_notify is out, the peer's not yet read; enough here.
            result = SSL_shutdown(ssl) >= 0 ? 1 : -1;
            break;
    }
    if (result == 1) {
        return {Want::nothing, bytes, {}};
    }
    const int saved_errno = errno;
    switch (SSL_get_error(ssl, result)) {
        case SSL_ERROR_WANT_READ:
            return {Want::read, 0, {}};
        case SSL_ERROR_WANT_WRITE:
            return {Want::write, 0, {}};
        case SSL_ERROR_ZERO_RETURN:
            return {Want::nothing, 0, asio::error::eof};
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0) {  // the socket failed, or closed without close_notify
                return {Want::nothing, 0,
                        saved_errno != 0 ? beast::error_code(saved_errno, beast::system_category())
                                         : beast::error_code(asio::ssl::error::stream_truncated)};
            }
            break;
        default:
            break;
    }
    const unsigned long error = ERR_get_error();
    ERR_clear_error();
    if (ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {Want::nothing, 0, asio::ssl::error::stream_truncated};
    }
    return {Want::nothing, 0,
            beast::error_code(static_cast<int>(error), asio::error::get_ssl_category())};
}

}  // namespace estd::net
