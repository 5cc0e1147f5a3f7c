// https::Connection against an in-process TLS server that reports its own view
// of the channel-binding values: both ends must compute the same bytes.
#include <memory>
#include <sstream>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "estd/https/connection.hpp"
#include "estd/https/url.hpp"
#include "estd/pki/certificate.hpp"
#include "support/test_pki.hpp"

namespace estd::https {
namespace {

using pki::Bytes;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string hex(const unsigned char* data, std::size_t size) {
    std::ostringstream out;
    for (std::size_t i = 0; i < size; ++i) {
        out << std::hex << (data[i] >> 4) << (data[i] & 0xF);
    }
    return out.str();
}

std::string hex(const Bytes& bytes) {
    return hex(bytes.data(), bytes.size());
}

// The server side's channel-binding view of one TLS connection.
std::string server_view(SSL* ssl, unsigned requests) {
    unsigned char exporter[32];
    const char label[] = "EXPORTER-Channel-Binding";
    SSL_export_keying_material(ssl, exporter, sizeof exporter, label, sizeof label - 1, nullptr, 0,
                               0);
    unsigned char finished[64];
    // The first Finished of a full handshake is the client's: for the
    // server, the peer's.
    const std::size_t n = SSL_get_peer_finished(ssl, finished, sizeof finished);
    return "exporter=" + hex(exporter, sizeof exporter) + "\nunique=" + hex(finished, n) +
           "\nems=" + std::to_string(SSL_get_extms_support(ssl)) +
           "\nrequests=" + std::to_string(requests) + "\n";
}

// Serves connections one after another for the test's lifetime; every
// request is answered with server_view().
class BindingServer {
  public:
    BindingServer(X509* cert, EVP_PKEY* key, int max_version)
        : ctx_(ssl::context::tls_server),
          acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
        SSL_CTX_use_certificate(ctx_.native_handle(), cert);
        SSL_CTX_use_PrivateKey(ctx_.native_handle(), key);
        SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
        SSL_CTX_set_max_proto_version(ctx_.native_handle(), max_version);
        accept();
        thread_ = std::thread([this] { ioc_.run_for(std::chrono::seconds(30)); });
    }
    ~BindingServer() {
        ioc_.stop();
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

  private:
    struct Session : std::enable_shared_from_this<Session> {
        Session(tcp::socket socket, ssl::context& ctx) : stream(std::move(socket), ctx) {}
        ssl::stream<tcp::socket> stream;
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::response<http::string_body> response;
        unsigned requests = 0;

        void start() {
            stream.async_handshake(ssl::stream_base::server,
                                   [self = shared_from_this()](beast::error_code ec) {
                                       if (!ec) {
                                           self->read();
                                       }
                                   });
        }
        void read() {
            request = {};
            http::async_read(stream, buffer, request,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (!ec) {
                                     self->answer();
                                 }
                             });
        }
        void answer() {
            response = {http::status::ok, 11};
            response.body() = server_view(stream.native_handle(), ++requests);
            response.keep_alive(request.keep_alive());
            response.prepare_payload();
            http::async_write(stream, response,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                  if (!ec) {
                                      self->read();
                                  }
                              });
        }
    };

    void accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                return;
            }
            std::make_shared<Session>(std::move(socket), ctx_)->start();
            accept();
        });
    }

    asio::io_context ioc_;
    ssl::context ctx_;
    tcp::acceptor acceptor_;
    std::thread thread_;
};

class HttpsConnection : public ::testing::Test {
  protected:
    void SetUp() override {
        ca_key_ = test::make_ec_key();
        ca_ = test::make_self_signed_ca("Binding Test CA", ca_key_.get());
        key_ = test::make_ec_key();
        test::CaOptions leaf;
        leaf.ca = false;
        leaf.subject_alt_names = {"DNS:localhost", "IP:127.0.0.1"};
        cert_ = test::make_certificate("localhost", key_.get(), ca_.get(), ca_key_.get(), leaf);
        ca_file_ = dir_.write("ca.pem", pki::certificate_pem(ca_.get()));
    }

    Url url(unsigned short port) const {
        return *parse_url("https://127.0.0.1:" + std::to_string(port));
    }
    ConnectionOptions options() const {
        ConnectionOptions tls;
        tls.ca_file = ca_file_;
        tls.timeout = std::chrono::seconds(5);
        return tls;
    }
    static std::string field(const std::string& body, const std::string& name) {
        const auto at = body.find(name + "=");
        return body.substr(at + name.size() + 1, body.find('\n', at) - at - name.size() - 1);
    }

    test::TempDir dir_;
    pki::EvpPkeyPtr ca_key_;
    pki::X509Ptr ca_;
    pki::EvpPkeyPtr key_;
    pki::X509Ptr cert_;
    std::string ca_file_;
};

TEST_F(HttpsConnection, Tls13ExporterMatchesTheServerAndTheConnectionIsReused) {
    BindingServer server(cert_.get(), key_.get(), TLS1_3_VERSION);
    auto conn = Connection::open(url(server.port()), options());
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    EXPECT_EQ((*conn)->version(), TlsVersion::tls1_3);
    EXPECT_EQ((*conn)->version_name(), "TLSv1.3");
    const auto exporter = (*conn)->tls_exporter();
    ASSERT_TRUE(exporter.ok());
    EXPECT_EQ(exporter->size(), 32U);
    EXPECT_FALSE((*conn)->tls_unique().ok());  // not defined for TLS 1.3

    for (unsigned i = 1; i <= 3; ++i) {
        const auto response = (*conn)->send(Method::get, "/x");
        ASSERT_TRUE(response.ok()) << response.error().message;
        EXPECT_EQ(response->status, 200U);
        EXPECT_EQ(field(response->body, "exporter"), hex(*exporter));
        EXPECT_EQ(field(response->body, "requests"), std::to_string(i));  // same connection
    }
    EXPECT_EQ((*conn)->requests_sent(), 3U);
    EXPECT_TRUE((*conn)->is_open());
}

TEST_F(HttpsConnection, Tls12UniqueIsTheClientFinishedWithExtendedMasterSecret) {
    BindingServer server(cert_.get(), key_.get(), TLS1_3_VERSION);
    auto tls = options();
    tls.max_version = TlsVersion::tls1_2;
    auto conn = Connection::open(url(server.port()), tls);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    EXPECT_EQ((*conn)->version(), TlsVersion::tls1_2);
    EXPECT_TRUE((*conn)->extended_master_secret());
    const auto unique = (*conn)->tls_unique();
    ASSERT_TRUE(unique.ok()) << unique.error().message;
    EXPECT_EQ(unique->size(), 12U);
    const auto response = (*conn)->send(Method::post, "/y", "application/pkcs10", "abc");
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(field(response->body, "unique"), hex(*unique));
    EXPECT_EQ(field(response->body, "ems"), "1");
}

TEST_F(HttpsConnection, MinimumAboveMaximumIsRefused) {
    BindingServer server(cert_.get(), key_.get(), TLS1_3_VERSION);
    auto tls = options();
    tls.min_version = TlsVersion::tls1_3;
    tls.max_version = TlsVersion::tls1_2;
    const auto conn = Connection::open(url(server.port()), tls);
    ASSERT_FALSE(conn.ok());
    EXPECT_EQ(conn.error().kind, ErrorKind::input);
}

TEST_F(HttpsConnection, UntrustedServerAndWrongNameAreTlsErrors) {
    BindingServer server(cert_.get(), key_.get(), TLS1_3_VERSION);
    const auto other_key = test::make_ec_key();
    const auto other_ca = test::make_self_signed_ca("Other CA", other_key.get());
    auto untrusted = options();
    untrusted.ca_file = dir_.write("other.pem", pki::certificate_pem(other_ca.get()));
    const auto refused = Connection::open(url(server.port()), untrusted);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::tls);
    EXPECT_NE(refused.error().message.find("unable to get local issuer certificate"),
              std::string::npos)
        << refused.error().message;

    auto wrong_name = options();
    wrong_name.server_name = "not-localhost.example";
    const auto mismatch = Connection::open(url(server.port()), wrong_name);
    ASSERT_FALSE(mismatch.ok());
    EXPECT_EQ(mismatch.error().kind, ErrorKind::tls);

    auto by_name = options();
    by_name.server_name = "localhost";
    EXPECT_TRUE(Connection::open(url(server.port()), by_name).ok());

    auto insecure = options();
    insecure.ca_file.clear();
    insecure.insecure = true;
    EXPECT_TRUE(Connection::open(url(server.port()), insecure).ok());
}

TEST_F(HttpsConnection, ClosedPortIsANetworkError) {
    unsigned short port = 0;
    {
        asio::io_context ioc;
        tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    const auto conn = Connection::open(url(port), options());
    ASSERT_FALSE(conn.ok());
    EXPECT_EQ(conn.error().kind, ErrorKind::network);
    EXPECT_NE(conn.error().message.find("onnection refused"), std::string::npos)
        << conn.error().message;
}

TEST_F(HttpsConnection, SilentServerTimesOut) {
    asio::io_context ioc;
    tcp::acceptor silent(ioc, {asio::ip::make_address("127.0.0.1"), 0});  // listens, never talks
    auto tls = options();
    tls.timeout = std::chrono::milliseconds(500);
    const auto started = std::chrono::steady_clock::now();
    const auto conn = Connection::open(url(silent.local_endpoint().port()), tls);
    ASSERT_FALSE(conn.ok());
    EXPECT_EQ(conn.error().kind, ErrorKind::network);
    EXPECT_NE(conn.error().message.find("timed out"), std::string::npos) << conn.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

// An answer sent byte for byte as given, in one write.
struct RawAnswer {
    std::string bytes;
};

// A plain-HTTP server on loopback answering one connection's one request
// with `body` (or a RawAnswer), and remembering the request it read.
class PlainServer {
  public:
    explicit PlainServer(std::string body)
        : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}), body_(std::move(body)) {
        thread_ = std::thread([this] { serve(); });
    }
    explicit PlainServer(RawAnswer raw)
        : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}), raw_(std::move(raw.bytes)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~PlainServer() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    // Once the exchange is over.
    const http::request<http::string_body>& request() {
        thread_.join();
        return request_;
    }

  private:
    void serve() {
        tcp::socket socket(ioc_);
        beast::error_code ec;
        acceptor_.accept(socket, ec);
        beast::flat_buffer buffer;
        http::read(socket, buffer, request_, ec);
        if (raw_) {
            asio::write(socket, asio::buffer(*raw_), ec);
            socket.shutdown(tcp::socket::shutdown_both, ec);
            return;
        }
        http::response<http::string_body> res{http::status::accepted, 11};
        res.body() = body_;
        res.keep_alive(false);
        res.prepare_payload();
        http::write(socket, res, ec);
    }

    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::string body_;
    std::optional<std::string> raw_;
    http::request<http::string_body> request_;
    std::thread thread_;
};

TEST(PlainHttpConnection, SendsTheRequestOverTcpWithItsHeaders) {
    PlainServer server("accepted");
    const auto url =
        parse_url("http://127.0.0.1:" + std::to_string(server.port()) + "/hooks/estd?x=1");
    ASSERT_TRUE(url.ok());
    ConnectionOptions options;
    options.timeout = std::chrono::seconds(5);
    options.user_agent = "estd/test";
    options.keep_alive = false;
    {
        auto conn = Connection::open(*url, options);
        ASSERT_TRUE(conn.ok()) << conn.error().message;
        const auto answer = (*conn)->send(Method::post, url->target, "application/json", "{}",
                                          {{"X-Estd-Signature", "sha256=00"}});
        ASSERT_TRUE(answer.ok()) << answer.error().message;
        EXPECT_EQ(answer->status, 202U);
        EXPECT_EQ(answer->body, "accepted");
        EXPECT_FALSE((*conn)->is_open());
        EXPECT_FALSE((*conn)->tls_exporter().ok());
    }
    const auto& seen = server.request();
    EXPECT_EQ(seen.target(), "/hooks/estd?x=1");
    EXPECT_EQ(seen[http::field::host], "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(seen[http::field::user_agent], "estd/test");
    EXPECT_EQ(seen[http::field::content_type], "application/json");
    EXPECT_EQ(seen["X-Estd-Signature"], "sha256=00");
    EXPECT_FALSE(seen.keep_alive());
    EXPECT_EQ(seen.body(), "{}");
}

// The body limit holds for an answer that arrives whole in one read, as
// for one that trickles in: a Content-Length over it is refused from the
// header, before any of the body is kept.
TEST(PlainHttpConnection, AnAnswerOverTheBodyLimitIsRefusedFromItsHeader) {
    for (const std::string length : {"2000", "100000000000"}) {
        SCOPED_TRACE("Content-Length: " + length);
        PlainServer server(RawAnswer{"HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\n\r\n" +
                                     std::string(2000, 'x')});
        const auto url = parse_url("http://127.0.0.1:" + std::to_string(server.port()) + "/");
        ASSERT_TRUE(url.ok());
        ConnectionOptions options;
        options.timeout = std::chrono::seconds(5);
        options.max_response_body = 1000;
        auto conn = Connection::open(*url, options);
        ASSERT_TRUE(conn.ok()) << conn.error().message;
        const auto answer = (*conn)->send(Method::get, "/", "", "", {});
        ASSERT_FALSE(answer.ok()) << "a body of " << answer->body.size() << " bytes was kept";
        EXPECT_NE(answer.error().message.find("body limit"), std::string::npos)
            << answer.error().message;
    }
}

TEST(ClientIdentity, LoadsAndRefusesAMismatchedKey) {
    const test::TempDir dir;
    const auto key = test::make_ec_key();
    const auto other = test::make_ec_key();
    const auto cert = test::make_self_signed_ca("me", key.get());
    const auto cert_file = dir.write("me.pem", pki::certificate_pem(cert.get()));
    const auto key_file = dir.write("me.key", test::private_key_pem(key.get()));
    const auto other_file = dir.write("other.key", test::private_key_pem(other.get()));
    const auto identity = load_client_identity(cert_file, key_file);
    ASSERT_TRUE(identity.ok()) << identity.error().message;
    EXPECT_EQ(identity->chain.size(), 1U);
    const auto mismatch = load_client_identity(cert_file, other_file);
    ASSERT_FALSE(mismatch.ok());
    EXPECT_EQ(mismatch.error().kind, ErrorKind::input);
    EXPECT_FALSE(load_client_identity(dir.path() / "absent.pem", key_file).ok());
}

TEST(ParseHttpResponse, ReadsStatusHeadersAndBodyByLengthChunkedOrEof) {
    const auto sized = parse_http_response(
        "HTTP/1.1 200 OK\r\nContent-Type: application/pkcs7-mime\r\nContent-Length: 5\r\n\r\n"
        "helloTRAILING");
    ASSERT_TRUE(sized.has_value());
    EXPECT_EQ(sized->status, 200U);
    EXPECT_EQ(sized->reason, "OK");
    EXPECT_EQ(sized->header("content-type"), "application/pkcs7-mime");
    EXPECT_EQ(sized->body, "hello");

    const auto chunked = parse_http_response(
        "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nbad\r\n4\r\n CSR\r\n0\r\n\r\n");
    ASSERT_TRUE(chunked.has_value());
    EXPECT_EQ(chunked->status, 400U);
    EXPECT_EQ(chunked->body, "bad CSR");

    const auto until_eof = parse_http_response("HTTP/1.1 503 Busy\r\n\r\ntry later");
    ASSERT_TRUE(until_eof.has_value());
    EXPECT_EQ(until_eof->body, "try later");
}

TEST(ParseHttpResponse, RefusesWhatIsNotOneWholeResponse) {
    EXPECT_FALSE(parse_http_response("").has_value());
    EXPECT_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n").has_value());
    EXPECT_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi").has_value());
    EXPECT_FALSE(parse_http_response("SSH-2.0-OpenSSH_9.2\r\n\r\n").has_value());
    EXPECT_FALSE(
        parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n").has_value());
}

}  // namespace
}  // namespace estd::https
