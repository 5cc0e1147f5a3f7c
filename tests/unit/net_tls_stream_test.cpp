// net::TlsStream against a real OpenSSL client over loopback: Beast on top,
// timeouts, cancellation, the peer's close with and without close_notify,
// and writes larger than the socket buffer.
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "estd/net/tls_stream.hpp"
#include "support/test_pki.hpp"

namespace estd::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

class TlsStreamTest : public ::testing::Test {
  protected:
    void SetUp() override {
        key_ = test::make_ec_key();
        cert_ = test::make_self_signed_ca("localhost", key_.get());
        SSL_CTX_use_certificate(server_tls_.native_handle(), cert_.get());
        SSL_CTX_use_PrivateKey(server_tls_.native_handle(), key_.get());
        SSL_CTX_set_min_proto_version(server_tls_.native_handle(), TLS1_3_VERSION);
        SSL_CTX_set_mode(server_tls_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        client_tls_.set_verify_mode(ssl::verify_none);

        tcp::acceptor acceptor(server_io_, {asio::ip::make_address("127.0.0.1"), 0});
        client_.lowest_layer().connect(acceptor.local_endpoint());
        server_ = std::make_unique<TlsStream>(acceptor.accept(), server_tls_.native_handle());

        std::optional<beast::error_code> shook;
        std::thread client([this] { client_.handshake(ssl::stream_base::client); });
        server_->expires_after(std::chrono::seconds(5));
        server_->async_handshake([&](beast::error_code ec) { shook = ec; });
        run_until([&] { return shook.has_value(); });
        client.join();
        ASSERT_TRUE(shook.has_value());
        ASSERT_FALSE(*shook) << shook->message();
        EXPECT_STREQ(SSL_get_version(server_->native_handle()), "TLSv1.3");
    }

    // Runs the server side until `done` (or 10 s pass). Not until it runs
    // out of work: the stream's deadline timer is work.
    void run_until(const std::function<bool()>& done) {
        server_io_.restart();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            server_io_.run_one_for(milliseconds(50));
        }
    }

    // One async_read_some on the server; its outcome.
    std::pair<beast::error_code, std::string> read_some() {
        std::array<char, 4096> data{};
        std::optional<std::pair<beast::error_code, std::size_t>> result;
        server_->async_read_some(asio::buffer(data), [&](beast::error_code ec, std::size_t n) {
            result.emplace(ec, n);
        });
        run_until([&] { return result.has_value(); });
        EXPECT_TRUE(result.has_value());
        return {result->first, std::string(data.data(), result->second)};
    }

    pki::EvpPkeyPtr key_;
    pki::X509Ptr cert_;
    asio::io_context server_io_;
    ssl::context server_tls_{ssl::context::tls_server};
    asio::io_context client_io_;
    ssl::context client_tls_{ssl::context::tls_client};
    ssl::stream<tcp::socket> client_{client_io_, client_tls_};
    std::unique_ptr<TlsStream> server_;
};

TEST_F(TlsStreamTest, CarriesHttpBothWaysThroughBeast) {
    std::thread client([this] {
        http::request<http::string_body> request{http::verb::post, "/.well-known/est/simpleenroll",
                                                 11};
        request.body() = std::string(50000, 'c');
        request.prepare_payload();
        http::write(client_, request);
        beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(client_, buffer, response);
        EXPECT_EQ(response.result_int(), 200U);
        EXPECT_EQ(response.body(), std::string(300000, 's'));
    });
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response{http::status::ok, 11};
    std::optional<beast::error_code> read_ec;
    std::optional<beast::error_code> write_ec;
    http::async_read(*server_, buffer, request, [&](beast::error_code ec, std::size_t) {
        read_ec = ec;
        if (ec) {
            return;
        }
        // Larger than the socket buffers: writes wait for the socket.
        response.body() = std::string(300000, 's');
        response.prepare_payload();
        http::async_write(*server_, response,
                          [&](beast::error_code wec, std::size_t) { write_ec = wec; });
    });
    run_until([&] { return write_ec.has_value() || (read_ec.has_value() && *read_ec); });
    client.join();
    ASSERT_TRUE(read_ec.has_value());
    EXPECT_FALSE(*read_ec) << read_ec->message();
    EXPECT_EQ(request.body().size(), 50000U);
    ASSERT_TRUE(write_ec.has_value());
    EXPECT_FALSE(*write_ec) << write_ec->message();
}

TEST_F(TlsStreamTest, WaitReadableCompletesWhenDataArrives) {
    std::optional<beast::error_code> readable;
    server_->async_wait_readable([&](beast::error_code ec) { readable = ec; });
    asio::write(client_, asio::buffer(std::string("hello")));
    run_until([&] { return readable.has_value(); });
    ASSERT_TRUE(readable.has_value());
    EXPECT_FALSE(*readable) << readable->message();
    const auto [ec, text] = read_some();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(text, "hello");
}

TEST_F(TlsStreamTest, ExpiryEndsTheWaitAndEveryLaterOperation) {
    server_->expires_after(milliseconds(200));
    std::optional<beast::error_code> readable;
    const auto started = std::chrono::steady_clock::now();
    server_->async_wait_readable([&](beast::error_code ec) { readable = ec; });
    run_until([&] { return readable.has_value(); });
    ASSERT_TRUE(readable.has_value());
    EXPECT_EQ(*readable, beast::error::timeout);
    EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(150));
    EXPECT_EQ(read_some().first, beast::error::timeout);

    // A new deadline lets the stream work again.
    server_->expires_after(std::chrono::seconds(5));
    asio::write(client_, asio::buffer(std::string("late")));
    const auto [ec, text] = read_some();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(text, "late");
}

// The timer armed for the first deadline must not end a wait whose deadline
// was moved later meanwhile: it re-arms for the rest.
TEST_F(TlsStreamTest, ADeadlineMovedLaterHoldsUntilItsNewTime) {
    const auto started = std::chrono::steady_clock::now();
    server_->expires_after(milliseconds(200));
    std::optional<beast::error_code> readable;
    server_->async_wait_readable([&](beast::error_code ec) { readable = ec; });
    run_until([&] { return std::chrono::steady_clock::now() - started >= milliseconds(100); });
    server_->expires_after(milliseconds(400));  // now about 500 ms from the start
    run_until([&] { return readable.has_value(); });
    ASSERT_TRUE(readable.has_value());
    EXPECT_EQ(*readable, beast::error::timeout);
    EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(450));
}

TEST_F(TlsStreamTest, CancelEndsAPendingRead) {
    std::optional<beast::error_code> result;
    std::array<char, 16> data{};
    server_->async_read_some(asio::buffer(data),
                             [&](beast::error_code ec, std::size_t) { result = ec; });
    asio::post(server_io_, [this] { server_->cancel(); });
    run_until([&] { return result.has_value(); });
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(*result, asio::error::operation_aborted);
}

TEST_F(TlsStreamTest, ThePeersCloseNotifyIsEndOfFile) {
    // The client sends close_notify, then waits for ours until the socket closes.
    std::thread client([this] {
        beast::error_code ignored;
        client_.shutdown(ignored);
    });
    EXPECT_EQ(read_some().first, asio::error::eof);
    server_.reset();
    client.join();
}

TEST_F(TlsStreamTest, APeerVanishingWithoutCloseNotifyIsTruncation) {
    // FIN without close_notify (a close() would reset: the client has not
    // read the server's session tickets).
    client_.lowest_layer().shutdown(tcp::socket::shutdown_send);
    EXPECT_EQ(read_some().first, ssl::error::stream_truncated);
}

TEST_F(TlsStreamTest, ShutdownSendsCloseNotify) {
    std::optional<beast::error_code> result;
    server_->async_shutdown([&](beast::error_code ec) { result = ec; });
    run_until([&] { return result.has_value(); });
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result) << result->message();
    std::array<char, 16> data{};
    beast::error_code ec;
    client_.read_some(asio::buffer(data), ec);
    EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(TlsStreamTest, AHandlerNeverRunsInsideTheCallThatStartedIt) {
    asio::write(client_, asio::buffer(std::string("x")));
    std::optional<beast::error_code> readable;
    server_->async_wait_readable([&](beast::error_code ec) { readable = ec; });
    run_until([&] { return readable.has_value(); });  // the record is on the socket now
    std::array<char, 1> one{};
    bool done = false;
    server_->async_read_some(asio::buffer(one),
                             [&](beast::error_code, std::size_t) { done = true; });
    EXPECT_FALSE(done);
    run_until([&] { return done; });
    EXPECT_TRUE(done);
}

}  // namespace
}  // namespace estd::net
