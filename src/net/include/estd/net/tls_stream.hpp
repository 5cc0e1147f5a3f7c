#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/ssl.h>

namespace estd::net {

// The server side of one TLS connection: OpenSSL reading and writing the
// non-blocking socket itself, Asio only waiting until it is readable or
// writable. Unlike asio::ssl::stream it holds no buffers of its own (that
// one keeps four 17 KB buffers per connection for as long as it lives), and
// with SSL_MODE_RELEASE_BUFFERS OpenSSL frees its record buffers whenever
// they are empty, so an idle connection costs little more than its SSL.
//
// An AsyncReadStream and AsyncWriteStream for Beast. At most one operation
// is in flight at a time (the session reads, then writes, then reads).
// expires_after() bounds whatever runs until the next call, as
// beast::tcp_stream does: when it passes, the pending operation and any
// later one fail with beast::error::timeout.
class TlsStream {
  public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;

    TlsStream(boost::asio::ip::tcp::socket&& socket, SSL_CTX* context);
    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    executor_type get_executor() { return core_->socket.get_executor(); }
    SSL* native_handle() const { return ssl_.get(); }
    // The TCP connection underneath, for what happens below TLS.
    boost::asio::ip::tcp::socket& socket() { return core_->socket; }

    void expires_after(std::chrono::steady_clock::duration timeout);
    // Ends the pending operation with operation_aborted.
    void cancel();

    template <class Handler>
    auto async_handshake(Handler&& handler) {
        return start<void(boost::beast::error_code)>(Step::handshake, {},
                                                     std::forward<Handler>(handler));
    }
    // Completes once decrypted data can be read without waiting: at once when
    // OpenSSL already holds some, otherwise when the socket is readable.
    // No buffer is held while it waits.
    template <class Handler>
    auto async_wait_readable(Handler&& handler) {
        return start<void(boost::beast::error_code)>(Step::wait_readable, {},
                                                     std::forward<Handler>(handler));
    }
    template <class MutableBuffers, class Handler>
    auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        return start<void(boost::beast::error_code, std::size_t)>(
            Step::read, first_buffer<boost::asio::mutable_buffer>(buffers),
            std::forward<Handler>(handler));
    }
    // Beast hands a message over as many small buffers (the status line,
    // each field, the body): as many as fit go out as one TLS record, not as
    // a record and a system call each.
    template <class ConstBuffers, class Handler>
    auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        std::vector<unsigned char> coalesced = coalesce(buffers);
        const boost::asio::const_buffer first =
            coalesced.empty() ? first_buffer<boost::asio::const_buffer>(buffers)
                              : boost::asio::const_buffer(coalesced.data(), coalesced.size());
        return start<void(boost::beast::error_code, std::size_t)>(
            Step::write, {const_cast<void*>(first.data()), first.size()},
            std::forward<Handler>(handler), std::move(coalesced));
    }
    // Sends close_notify; does not wait for the peer's (the session drains
    // below TLS instead).
    template <class Handler>
    auto async_shutdown(Handler&& handler) {
        return start<void(boost::beast::error_code)>(Step::shutdown, {},
                                                     std::forward<Handler>(handler));
    }

  private:
    enum class Step { handshake, wait_readable, read, write, shutdown };
    enum class Want { nothing, read, write };
    struct Attempt {
        Want want = Want::nothing;
        std::size_t bytes = 0;
        boost::beast::error_code ec;
    };
    // Shared with the expiry timer's handler, which may run after the stream
    // is gone.
    struct Core {
        explicit Core(boost::asio::ip::tcp::socket&& s);
        boost::asio::ip::tcp::socket socket;
        boost::asio::steady_timer timer;
        // What expires_after asked for last; the timer may be armed for an
        // earlier time, when it re-arms for the rest (see expires_after).
        std::chrono::steady_clock::time_point deadline;
        bool timer_armed = false;
        bool expired = false;
    };
    static void arm(const std::shared_ptr<Core>& core);
    struct SslFree {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };

    // One try of `step` without waiting; Want says what to wait for first.
    Attempt attempt(Step step, boost::asio::mutable_buffer buffer);
    // What a wait that ended with `ec` means for the operation.
    boost::beast::error_code wait_failure(const boost::beast::error_code& ec) const;

    // The largest plaintext of one TLS record.
    static constexpr std::size_t kRecordBytes = 16 * 1024;

    template <class Buffer, class Buffers>
    static Buffer first_buffer(const Buffers& buffers) {
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers); ++it) {
            if (Buffer(*it).size() > 0) {
                return Buffer(*it);
            }
        }
        return Buffer{};
    }

    // A copy of the sequence's first kRecordBytes when they span several
    // buffers; empty when the first buffer alone is all there is to write.
    template <class ConstBuffers>
    static std::vector<unsigned char> coalesce(const ConstBuffers& buffers) {
        std::size_t pieces = 0;
        std::size_t bytes = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers) && bytes < kRecordBytes; ++it) {
            const std::size_t size = boost::asio::const_buffer(*it).size();
            pieces += size > 0 ? 1 : 0;
            bytes += size;
        }
        if (pieces < 2) {
            return {};
        }
        std::vector<unsigned char> copy(std::min(bytes, kRecordBytes));
        boost::asio::buffer_copy(boost::asio::buffer(copy), buffers);
        return copy;
    }

    template <class Signature>
    class Operation;

    // `storage` (if any) holds the bytes `buffer` points into; the operation
    // keeps it alive (a vector's heap block does not move with it).
    template <class Signature, class Handler>
    auto start(Step step, boost::asio::mutable_buffer buffer, Handler&& handler,
               std::vector<unsigned char> storage = {}) {
        return boost::asio::async_compose<Handler, Signature>(
            Operation<Signature>{*this, step, buffer, std::move(storage)}, handler, core_->socket);
    }

    std::shared_ptr<Core> core_;
    std::unique_ptr<SSL, SslFree> ssl_;
};

// Tries the step; waits for the socket as OpenSSL asks and tries again. A
// result known before any wait is posted, so the handler never runs inside
// the call that started the operation.
template <class Signature>
class TlsStream::Operation {
  public:
    Operation(TlsStream& stream, Step step, boost::asio::mutable_buffer buffer,
              std::vector<unsigned char> storage)
        : stream_(stream), step_(step), buffer_(buffer), storage_(std::move(storage)) {}

    template <class Self>
    void operator()(Self& self) {
        if (finished_) {
            complete(self);
            return;
        }
        if (stream_.core_->expired) {
            finish(self, {Want::nothing, 0, boost::beast::error::timeout});
            return;
        }
        Attempt attempt = stream_.attempt(step_, buffer_);
        if (attempt.want == Want::nothing) {
            finish(self, attempt);
            return;
        }
        waited_ = true;
        stream_.core_->socket.async_wait(attempt.want == Want::read
                                             ? boost::asio::ip::tcp::socket::wait_read
                                             : boost::asio::ip::tcp::socket::wait_write,
                                         std::move(self));
    }

    template <class Self>
    void operator()(Self& self, boost::beast::error_code ec) {
        if (ec) {
            finish(self, {Want::nothing, 0, stream_.wait_failure(ec)});
        } else if (step_ == Step::wait_readable) {
            finish(self, {});
        } else {
            (*this)(self);
        }
    }

  private:
    template <class Self>
    void finish(Self& self, Attempt result) {
        result_ = result;
        finished_ = true;
        if (waited_) {
            complete(self);
        } else {
            boost::asio::post(stream_.get_executor(), std::move(self));
        }
    }

    template <class Self>
    void complete(Self& self) {
        if constexpr (std::is_same_v<Signature, void(boost::beast::error_code)>) {
            self.complete(result_.ec);
        } else {
            self.complete(result_.ec, result_.bytes);
        }
    }

    TlsStream& stream_;
    Step step_;
    boost::asio::mutable_buffer buffer_;
    std::vector<unsigned char> storage_;
    bool waited_ = false;
    bool finished_ = false;
    Attempt result_;
};

}  // namespace estd::net
