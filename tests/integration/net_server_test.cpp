// The HTTPS listener driven by real clients (curl, openssl s_client, raw
// sockets) against an in-process Server. Every client runs under
// `timeout`, every wait is bounded.

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "estd/net/server.hpp"

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using estd::config::ListenerConfig;
using estd::config::TlsMinVersion;
using estd::net::Handler;
using estd::net::Request;
using estd::net::Response;
using estd::net::Server;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct CommandResult {
    int exit_code = -1;
    std::string output;
};

CommandResult run_command(const std::string& command) {
    CommandResult result;
    std::FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        result.output.append(buffer, n);
    }
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

bool sh(const std::string& command) {
    return std::system(command.c_str()) == 0;
}

// Polls `condition` until it holds or `bound` passes.
bool eventually(const std::function<bool()>& condition, Clock::duration bound) {
    const auto deadline = Clock::now() + bound;
    while (!condition()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t found = 0;
    for (auto pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + needle.size())) {
        ++found;
    }
    return found;
}

// A plain TCP connection that never speaks TLS.
class RawConnection {
  public:
    explicit RawConnection(unsigned short port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            error_ = errno;
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~RawConnection() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return fd_ >= 0; }
    int error() const { return error_; }

    // How long until the server closed the connection, or nothing if it is
    // still open after `bound`.
    std::optional<Clock::duration> wait_closed(Clock::duration bound) {
        const auto start = Clock::now();
        const auto deadline = start + bound;
        char buffer[1024];
        while (Clock::now() < deadline) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd descriptor{fd_, POLLIN, 0};
            const int ready = ::poll(&descriptor, 1, static_cast<int>(left.count()) + 1);
            if (ready < 0 && errno != EINTR) {
                break;
            }
            if (ready > 0 && ::recv(fd_, buffer, sizeof buffer, 0) <= 0) {
                return Clock::now() - start;
            }
        }
        return std::nullopt;
    }

  private:
    int fd_ = -1;
    int error_ = 0;
};

struct HandlerState {
    std::atomic<bool> slow_started{false};
    std::atomic<int> calls{0};
    std::atomic<bool> waiting{false};
    std::atomic<bool> released{false};
};

// Echoes what the handler saw, one line per request.
Handler echo_handler(std::shared_ptr<HandlerState> state) {
    return [state](const Request& request, const estd::pki::PeerIdentity& peer) {
        ++state->calls;
        if (request.target() == "/throw") {
            throw std::runtime_error("boom");
        }
        if (request.target() == "/slow") {
            state->slow_started = true;
            std::this_thread::sleep_for(1500ms);
        }
        // /wait holds its thread until some .../release request arrives (or
        // 10 s pass) and says which happened.
        if (request.target().ends_with("/release")) {
            state->released = true;
        }
        if (request.target() == "/wait") {
            state->waiting = true;
            const auto give_up = Clock::now() + 10s;
            while (!state->released && Clock::now() < give_up) {
                std::this_thread::sleep_for(10ms);
            }
            Response response{http::status::ok, request.version()};
            response.body() = state->released ? "released\n" : "never released\n";
            return response;
        }
        const bool presented = peer.leaf != nullptr;
        const bool reused = peer.resumed;
        Response response{http::status::ok, request.version()};
        response.set(http::field::content_type, "text/plain");
        response.body() =
            "method=" + std::string(request.method_string()) +
            " target=" + std::string(request.target()) +
            " body=" + std::to_string(request.body().size()) + " peer=" + peer.address +
            " presented=" + (presented ? "1" : "0") + " reused=" + (reused ? "1" : "0") +
            " tls=" + (peer.over_tls() ? std::string(peer.tls_version_name) : "none") + "\n";
        return response;
    };
}

class NetServerTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("estd-net-test-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        const std::string d = dir_.string() + "/";
        const std::string ec_key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        // root → intermediate → server leaf; the listener serves leaf +
        // intermediate, clients trust only the root.
        pki_ok_ =
            sh("openssl req -x509 " + ec_key + " -keyout " + d + "root.key -out " + d +
               "root.pem -days 2 -subj /CN=estd-test-root 2>/dev/null") &&
            sh("printf "
               "'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n'"
               " > " +
               d + "int.ext") &&
            sh("openssl req -new " + ec_key + " -keyout " + d + "int.key -out " + d +
               "int.csr -subj /CN=estd-test-intermediate 2>/dev/null") &&
            sh("openssl x509 -req -in " + d + "int.csr -CA " + d + "root.pem -CAkey " + d +
               "root.key -set_serial 2 -days 2 -extfile " + d + "int.ext -out " + d +
               "int.pem 2>/dev/null") &&
            sh("printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n"
               "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\\n' > " +
               d + "leaf.ext") &&
            sh("openssl req -new " + ec_key + " -keyout " + d + "server.key -out " + d +
               "server.csr -subj /CN=localhost 2>/dev/null") &&
            sh("openssl x509 -req -in " + d + "server.csr -CA " + d + "int.pem -CAkey " + d +
               "int.key -set_serial 3 -days 2 -extfile " + d + "leaf.ext -out " + d +
               "leaf.pem 2>/dev/null") &&
            sh("cat " + d + "leaf.pem " + d + "int.pem > " + d + "chain.pem") &&
            // A client certificate from a CA nobody has heard of.
            sh("openssl req -x509 " + ec_key + " -keyout " + d + "client.key -out " + d +
               "client.pem -days 2 -subj /CN=unknown-client 2>/dev/null");
    }

    static void TearDownTestSuite() {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void SetUp() override { ASSERT_TRUE(pki_ok_) << "could not create test certificates"; }

    void TearDown() override {
        if (server_ != nullptr) {
            server_->stop();
            ASSERT_TRUE(run_returns_within(20s));
            server_.reset();
        }
    }

    static std::string path(const std::string& name) { return (dir_ / name).string(); }

    static ListenerConfig listener() {
        ListenerConfig config;
        config.host = "127.0.0.1";
        config.port = 0;
        config.tls_cert_path = path("chain.pem");
        config.tls_key_path = path("server.key");
        config.threads = 2;
        config.max_header_bytes = 4096;
        config.max_body_bytes = 4096;
        config.read_timeout = 5s;
        config.idle_timeout = 5s;
        config.max_connections = 100;
        return config;
    }

    void start(const ListenerConfig& config, std::function<void()> reload_hook = {},
               estd::net::AnswersAtOnce answers_at_once = {}) {
        server_ =
            std::make_unique<Server>(config, echo_handler(state_), std::move(answers_at_once));
        if (reload_hook) {
            server_->on_reload(std::move(reload_hook));
        }
        const auto status = server_->open();
        ASSERT_TRUE(status.ok()) << status.error().message;
        port_ = server_->port();
        ASSERT_NE(port_, 0);
        runner_ = std::async(std::launch::async, [server = server_.get()] { server->run(); });
    }

    // A run() that never returns would hang the whole suite: give up loudly.
    bool run_returns_within(Clock::duration bound) {
        if (!runner_.valid()) {
            return true;
        }
        if (runner_.wait_for(bound) != std::future_status::ready) {
            std::fprintf(stderr, "Server::run() did not return; aborting\n");
            std::abort();
        }
        runner_.get();
        return true;
    }

    // Sends /wait, then `target` while it waits: the wait must end because
    // `target` was served, not by giving up.
    void expect_wait_released_by(const std::string& target) {
        auto waiting =
            std::async(std::launch::async, [this] { return run_command(curl(url("/wait"))); });
        ASSERT_TRUE(eventually([&] { return state_->waiting.load(); }, 10s));
        const auto release = run_command(curl(url(target)));
        EXPECT_NE(release.output.find("target=" + target), std::string::npos) << release.output;
        ASSERT_EQ(waiting.wait_for(20s), std::future_status::ready);
        EXPECT_EQ(waiting.get().output, "released\n");
    }

    std::string url(const std::string& target) const {
        return "https://127.0.0.1:" + std::to_string(port_) + target;
    }

    // curl trusting only the test root, so the intermediate must be served.
    static std::string curl(const std::string& arguments) {
        return "timeout 20 curl -sS --cacert " + path("root.pem") + " " + arguments + " 2>&1";
    }

    // Feeds raw HTTP (printf escapes) to s_client; -quiet keeps reading until
    // the server closes.
    std::string s_client(const std::string& raw_request) const {
        return "printf '" + raw_request +
               "' | timeout 20 openssl s_client -quiet -connect 127.0.0.1:" +
               std::to_string(port_) + " -CAfile " + path("root.pem") + " 2>/dev/null";
    }

    static inline fs::path dir_;
    static inline bool pki_ok_ = false;
    std::shared_ptr<HandlerState> state_ = std::make_shared<HandlerState>();
    std::unique_ptr<Server> server_;
    std::future<void> runner_;
    unsigned short port_ = 0;
};

TEST_F(NetServerTest, GetOverTls13WithChain) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto result = run_command(curl("-w '\\n%{http_code}' " + url("/hello?x=1")));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("method=GET target=/hello?x=1 body=0 peer=127.0.0.1 presented=0"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("tls=TLSv1.3"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("\n200"), std::string::npos) << result.output;
}

TEST_F(NetServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto result = run_command(
        curl("-w 'connects=%{num_connects}\\n' " + url("/first") + " " + url("/second")));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const auto first = result.output.find("target=/first");
    const auto second = result.output.find("target=/second");
    ASSERT_NE(first, std::string::npos) << result.output;
    ASSERT_NE(second, std::string::npos) << result.output;
    EXPECT_LT(first, second);
    EXPECT_EQ(count(result.output, "connects=1"), 1U) << result.output;
    EXPECT_EQ(count(result.output, "connects=0"), 1U) << result.output;
    EXPECT_EQ(server_->stats().accepted_connections, 1U);
    EXPECT_EQ(server_->stats().requests, 2U);
}

// Two connections from one curl run: the second offers the first's session.
// Without a client certificate it resumes (which needs the session id
// context); with one it never does, in TLS 1.3 (no ticket is minted) and in
// TLS 1.2 (the returned ticket is refused), and the certificate is sent again.
TEST_F(NetServerTest, OnlySessionsWithoutAClientCertificateResume) {
    auto config = listener();
    config.tls_min_version = TlsMinVersion::tls1_2;
    ASSERT_NO_FATAL_FAILURE(start(config));
    const std::string with_certificate =
        "--cert " + path("client.pem") + " --key " + path("client.key") + " ";
    for (const std::string version : {"", "--tlsv1.2 --tls-max 1.2 "}) {
        for (const bool presents : {false, true}) {
            const auto result =
                run_command(curl(version + (presents ? with_certificate : "") +
                                 "-H 'Connection: close' -w 'connects=%{num_connects}\\n' " +
                                 url("/one") + " " + url("/two")));
            SCOPED_TRACE(version + (presents ? "with a client certificate" : "without"));
            EXPECT_EQ(result.exit_code, 0) << result.output;
            EXPECT_EQ(count(result.output, "connects=1"), 2U) << result.output;
            const std::string second = std::string("target=/two body=0 peer=127.0.0.1 presented=") +
                                       (presents ? "1 reused=0" : "0 reused=1");
            EXPECT_NE(result.output.find(second), std::string::npos) << result.output;
        }
    }
}

// The two ways a ticket could carry a client certificate, seen by s_client:
// TLS 1.3 mints none once the client sent one (and one, not OpenSSL's
// default two, without), and a TLS 1.2 ticket (minted before the
// certificate arrives) does not resume.
TEST_F(NetServerTest, NoTicketCarryingAClientCertificateIsMintedOrAccepted) {
    auto config = listener();
    config.tls_min_version = TlsMinVersion::tls1_2;
    ASSERT_NO_FATAL_FAILURE(start(config));
    const std::string connect =
        "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(port_) + " -CAfile " +
        path("root.pem") + " ";
    const std::string certificate = "-cert " + path("client.pem") + " -key " + path("client.key");
    for (const bool presents : {false, true}) {
        SCOPED_TRACE(presents ? "with a client certificate" : "without");
        const std::string client = connect + (presents ? certificate : "");
        const auto tls13 = run_command(
            "printf 'GET /t HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n' | " + client +
            " -tls1_3 -ign_eof 2>&1");
        EXPECT_NE(tls13.output.find("target=/t"), std::string::npos) << tls13.output;
        EXPECT_EQ(count(tls13.output, "Post-Handshake New Session Ticket"), presents ? 0U : 1U)
            << tls13.output;

        const std::string session = path(presents ? "tls12-mtls.session" : "tls12.session");
        const auto first =
            run_command(client + " -tls1_2 -sess_out " + session + " </dev/null 2>&1");
        EXPECT_NE(first.output.find("TLS session ticket:"), std::string::npos) << first.output;
        const auto second =
            run_command(client + " -tls1_2 -sess_in " + session + " </dev/null 2>&1");
        EXPECT_NE(second.output.find(presents ? "\nNew, TLSv1.2" : "\nReused, TLSv1.2"),
                  std::string::npos)
            << second.output;
    }
}

TEST_F(NetServerTest, PipelinedRequestsAreAnsweredInOrder) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto result =
        run_command(s_client("GET /a HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n"
                             "POST /b HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 3\\r\\n\\r\\nxyz"
                             "GET /c HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n"));
    const auto a = result.output.find("method=GET target=/a");
    const auto b = result.output.find("method=POST target=/b body=3");
    const auto c = result.output.find("method=GET target=/c");
    ASSERT_NE(a, std::string::npos) << result.output;
    ASSERT_NE(b, std::string::npos) << result.output;
    ASSERT_NE(c, std::string::npos) << result.output;
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_EQ(count(result.output, "HTTP/1.1 200 OK"), 3U) << result.output;
    EXPECT_NE(result.output.find("Connection: close"), std::string::npos) << result.output;
    EXPECT_EQ(server_->stats().accepted_connections, 1U);
}

TEST_F(NetServerTest, Tls12RefusedByDefault) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto result = run_command(curl("--tlsv1.2 --tls-max 1.2 " + url("/old")));
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_EQ(result.output.find("target=/old"), std::string::npos) << result.output;
    EXPECT_EQ(state_->calls.load(), 0);
    EXPECT_TRUE(eventually([&] { return server_->stats().tls_handshake_failures >= 1; }, 5s));
}

TEST_F(NetServerTest, Tls12AcceptedWhenAllowed) {
    auto config = listener();
    config.tls_min_version = TlsMinVersion::tls1_2;
    ASSERT_NO_FATAL_FAILURE(start(config));
    const auto old_client = run_command(curl("--tlsv1.2 --tls-max 1.2 " + url("/old")));
    EXPECT_EQ(old_client.exit_code, 0) << old_client.output;
    EXPECT_NE(old_client.output.find("target=/old"), std::string::npos) << old_client.output;
    EXPECT_NE(old_client.output.find("tls=TLSv1.2"), std::string::npos) << old_client.output;

    const auto new_client = run_command(curl(url("/new")));
    EXPECT_NE(new_client.output.find("tls=TLSv1.3"), std::string::npos) << new_client.output;
}

TEST_F(NetServerTest, BodyWithinLimitIsPassedOn) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const std::string body_file = path("small.bin");
    std::ofstream(body_file) << std::string(4000, 'b');
    const auto result =
        run_command(curl("--data-binary @" + body_file + " -w '\\n%{http_code}' " + url("/up")));
    EXPECT_NE(result.output.find("method=POST target=/up body=4000"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("\n200"), std::string::npos) << result.output;
}

TEST_F(NetServerTest, ExpectContinueGetsAGoAhead) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const std::string body_file = path("expect.bin");
    std::ofstream(body_file) << std::string(3000, 'e');
    const auto started = Clock::now();
    // Without a 100 Continue this curl would wait 10 s before sending.
    const auto result =
        run_command(curl("-H 'Expect: 100-continue' --expect100-timeout 10 "
                         "--data-binary @" +
                         body_file + " " + url("/expect")));
    EXPECT_NE(result.output.find("method=POST target=/expect body=3000"), std::string::npos)
        << result.output;
    EXPECT_LT(Clock::now() - started, 6s);
}

TEST_F(NetServerTest, HeadGetsHeadersOnly) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    // Two HEADs on one connection: a stray body would desynchronise them.
    const auto result = run_command(curl("-I " + url("/h1") + " " + url("/h2")));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(count(result.output, "HTTP/1.1 200 OK"), 2U) << result.output;
    // The length of the body a GET would get, not of the (empty) HEAD body.
    EXPECT_EQ(count(result.output, "Content-Length: "), 2U) << result.output;
    EXPECT_EQ(result.output.find("Content-Length: 0"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("method="), std::string::npos) << result.output;
}

TEST_F(NetServerTest, BodyOverLimitIs413) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const std::string body_file = path("big.bin");
    std::ofstream(body_file) << std::string(256 * 1024, 'b');
    for (const std::string expect : {"", "-H 'Expect:' "}) {  // with and without 100-continue
        const auto result = run_command(
            curl(expect + "--data-binary @" + body_file + " -w '\\n%{http_code}' " + url("/up")));
        EXPECT_NE(result.output.find("request body exceeds the limit of 4096 bytes"),
                  std::string::npos)
            << result.output;
        EXPECT_NE(result.output.find("\n413"), std::string::npos) << result.output;
    }
    EXPECT_EQ(state_->calls.load(), 0);
}

TEST_F(NetServerTest, HeaderOverLimitIs413) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto result = run_command(
        curl("-H 'X-Big: " + std::string(5000, 'h') + "' -w '\\n%{http_code}' " + url("/big")));
    EXPECT_NE(result.output.find("request header exceeds the limit of 4096 bytes"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("\n413"), std::string::npos) << result.output;
    EXPECT_EQ(state_->calls.load(), 0);
}

TEST_F(NetServerTest, MalformedRequestIs400) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto result = run_command(s_client("GET / HTTP/1.1\\r\\nNo colon here\\r\\n\\r\\n"));
    EXPECT_NE(result.output.find("HTTP/1.1 400 Bad Request"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("Connection: close"), std::string::npos) << result.output;
    EXPECT_EQ(state_->calls.load(), 0);
}

TEST_F(NetServerTest, ClientCertificateIsOptional) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto without = run_command(curl(url("/anon")));
    EXPECT_EQ(without.exit_code, 0) << without.output;
    EXPECT_NE(without.output.find("target=/anon body=0 peer=127.0.0.1 presented=0"),
              std::string::npos)
        << without.output;

    // Self-signed by a CA the listener has never heard of: still accepted
    // at the TLS layer, and visible to the handler.
    const auto with = run_command(
        curl("--cert " + path("client.pem") + " --key " + path("client.key") + " " + url("/mtls")));
    EXPECT_EQ(with.exit_code, 0) << with.output;
    EXPECT_NE(with.output.find("target=/mtls body=0 peer=127.0.0.1 presented=1"), std::string::npos)
        << with.output;
}

TEST_F(NetServerTest, HandlerExceptionIs500AndServerKeepsServing) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    const auto failed = run_command(curl("-w '\\n%{http_code}' " + url("/throw")));
    EXPECT_NE(failed.output.find("internal error"), std::string::npos) << failed.output;
    EXPECT_NE(failed.output.find("\n500"), std::string::npos) << failed.output;
    EXPECT_EQ(failed.output.find("boom"), std::string::npos) << failed.output;

    const auto next = run_command(curl(url("/after")));
    EXPECT_NE(next.output.find("target=/after"), std::string::npos) << next.output;
}

TEST_F(NetServerTest, SilentClientIsClosedAfterReadTimeout) {
    auto config = listener();
    config.read_timeout = 1s;
    ASSERT_NO_FATAL_FAILURE(start(config));
    RawConnection silent(port_);
    ASSERT_TRUE(silent.connected()) << silent.error();
    const auto closed_after = silent.wait_closed(10s);
    ASSERT_TRUE(closed_after.has_value()) << "connection still open after 10 s";
    EXPECT_GE(*closed_after, 800ms);
    EXPECT_LT(*closed_after, 8s);
    EXPECT_TRUE(eventually([&] { return server_->stats().active_connections == 0; }, 5s));
}

TEST_F(NetServerTest, IdleKeptAliveConnectionIsClosedAfterIdleTimeout) {
    auto config = listener();
    config.idle_timeout = 1s;
    ASSERT_NO_FATAL_FAILURE(start(config));
    const auto started = Clock::now();
    // s_client keeps the connection open until the server closes it.
    const auto result = run_command(s_client("GET /once HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n"));
    const auto elapsed = Clock::now() - started;
    EXPECT_NE(result.output.find("target=/once"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("Connection: close"), std::string::npos) << result.output;
    EXPECT_LT(elapsed, 10s);
}

TEST_F(NetServerTest, ConnectionsBeyondMaxAreClosedAtOnce) {
    auto config = listener();
    config.max_connections = 1;
    config.read_timeout = 5s;
    ASSERT_NO_FATAL_FAILURE(start(config));
    {
        RawConnection first(port_);
        ASSERT_TRUE(first.connected());
        ASSERT_TRUE(eventually([&] { return server_->stats().active_connections == 1; }, 5s));

        RawConnection second(port_);
        ASSERT_TRUE(second.connected());
        const auto closed_after = second.wait_closed(4s);
        ASSERT_TRUE(closed_after.has_value()) << "second connection was not closed";
        EXPECT_LT(*closed_after, 3s);
        EXPECT_EQ(server_->stats().rejected_connections, 1U);
    }
    // Once the slot is free again, service resumes.
    ASSERT_TRUE(eventually([&] { return server_->stats().active_connections == 0; }, 8s));
    const auto result = run_command(curl(url("/again")));
    EXPECT_NE(result.output.find("target=/again"), std::string::npos) << result.output;
}

TEST_F(NetServerTest, StopLetsInFlightRequestFinishAndRefusesNewConnections) {
    // Long timeouts: whatever closes below is closed by stop(), not by a
    // timeout, and a connection stop() forgot would hold run() for the whole
    // 10 s drain.
    auto config = listener();
    config.read_timeout = 30s;
    config.idle_timeout = 30s;
    ASSERT_NO_FATAL_FAILURE(start(config));

    RawConnection handshaking(port_);
    ASSERT_TRUE(handshaking.connected());
    auto kept_alive = std::async(std::launch::async, [this] {
        return run_command(s_client("GET /idle HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n"));
    });
    ASSERT_TRUE(eventually([&] { return state_->calls.load() == 1; }, 10s));
    auto slow = std::async(std::launch::async, [this] {
        return run_command(curl("-w '\\n%{http_code}' " + url("/slow")));
    });
    ASSERT_TRUE(eventually([&] { return state_->slow_started.load(); }, 10s));
    const auto stop_called = Clock::now();
    server_->stop();

    EXPECT_TRUE(eventually(
        [&] {
            RawConnection late(port_);
            return !late.connected() && late.error() == ECONNREFUSED;
        },
        5s))
        << "new connections still accepted after stop()";

    ASSERT_EQ(slow.wait_for(20s), std::future_status::ready);
    const auto result = slow.get();
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("target=/slow"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("\n200"), std::string::npos) << result.output;

    EXPECT_TRUE(handshaking.wait_closed(5s).has_value());
    ASSERT_EQ(kept_alive.wait_for(10s), std::future_status::ready);
    EXPECT_NE(kept_alive.get().output.find("target=/idle"), std::string::npos);
    ASSERT_EQ(runner_.wait_for(15s), std::future_status::ready);
    runner_.get();
    EXPECT_LT(Clock::now() - stop_called, 8s);  // drained, not timed out
    EXPECT_EQ(server_->stats().active_connections, 0U);
}

// One I/O thread: a handler that waits must not keep it from serving the
// request that ends the wait.
TEST_F(NetServerTest, AWaitingHandlerDoesNotHoldUpOtherConnections) {
    auto config = listener();
    config.threads = 1;
    config.worker_threads = 2;
    ASSERT_NO_FATAL_FAILURE(start(config));
    expect_wait_released_by("/release");
}

// The only worker is busy: a request the policy answers at once is served
// on the I/O thread all the same.
TEST_F(NetServerTest, RequestsAnsweredAtOnceDoNotQueueForAWorker) {
    auto config = listener();
    config.threads = 1;
    config.worker_threads = 1;
    ASSERT_NO_FATAL_FAILURE(start(config, {}, [](const Request& request) {
        return request.target().starts_with("/at-once/");
    }));
    expect_wait_released_by("/at-once/release");
}

TEST_F(NetServerTest, ManyConcurrentClients) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    std::vector<std::future<CommandResult>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::async(std::launch::async, [this, i] {
            std::string urls;
            for (int j = 0; j < 5; ++j) {
                urls += " " + url("/c" + std::to_string(i) + "-" + std::to_string(j));
            }
            return run_command(curl(urls));
        }));
    }
    for (int i = 0; i < 8; ++i) {
        ASSERT_EQ(clients[i].wait_for(30s), std::future_status::ready);
        const auto result = clients[i].get();
        EXPECT_EQ(result.exit_code, 0) << result.output;
        EXPECT_EQ(count(result.output, "target=/c" + std::to_string(i) + "-"), 5U) << result.output;
    }
    EXPECT_EQ(server_->stats().requests, 40U);
}

TEST_F(NetServerTest, StopBeforeRunReturnsPromptly) {
    server_ = std::make_unique<Server>(listener(), echo_handler(state_));
    ASSERT_TRUE(server_->open().ok());
    server_->stop();
    runner_ = std::async(std::launch::async, [server = server_.get()] { server->run(); });
    EXPECT_EQ(runner_.wait_for(10s), std::future_status::ready);
}

TEST_F(NetServerTest, SighupCallsReloadHookAndKeepsServing) {
    auto reloads = std::make_shared<std::atomic<int>>(0);
    ASSERT_NO_FATAL_FAILURE(start(listener(), [reloads] { ++*reloads; }));
    // A served request proves run() has installed its signal handlers.
    ASSERT_NE(run_command(curl(url("/before"))).output.find("target=/before"), std::string::npos);
    std::raise(SIGHUP);
    EXPECT_TRUE(eventually([&] { return reloads->load() == 1; }, 5s));
    EXPECT_EQ(runner_.wait_for(0s), std::future_status::timeout) << "SIGHUP stopped the server";
    const auto after = run_command(curl(url("/after")));
    EXPECT_NE(after.output.find("target=/after"), std::string::npos) << after.output;
}

TEST_F(NetServerTest, SigtermStopsTheServer) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    ASSERT_NE(run_command(curl(url("/before"))).output.find("target=/before"), std::string::npos);
    std::raise(SIGTERM);
    EXPECT_EQ(runner_.wait_for(10s), std::future_status::ready);
}

TEST_F(NetServerTest, ServesIpv6Peers) {
    auto config = listener();
    config.host = "::1";
    server_ = std::make_unique<Server>(config, echo_handler(state_));
    if (!server_->open().ok()) {
        server_.reset();
        GTEST_SKIP() << "no IPv6 loopback here";
    }
    port_ = server_->port();
    runner_ = std::async(std::launch::async, [server = server_.get()] { server->run(); });
    const auto result = run_command(curl("-g https://[::1]:" + std::to_string(port_) + "/six"));
    EXPECT_NE(result.output.find("target=/six body=0 peer=::1 "), std::string::npos)
        << result.output;
}

TEST_F(NetServerTest, OpenNamesTheMissingCertificateFile) {
    auto config = listener();
    config.tls_cert_path = path("does-not-exist.pem");
    Server server(config, echo_handler(state_));
    const auto status = server.open();
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find(config.tls_cert_path), std::string::npos)
        << status.error().message;
}

TEST_F(NetServerTest, OpenFailsWhenThePortIsTaken) {
    ASSERT_NO_FATAL_FAILURE(start(listener()));
    auto config = listener();
    config.port = port_;
    Server second(config, echo_handler(state_));
    const auto status = second.open();
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(port_)),
              std::string::npos)
        << status.error().message;
}

}  // namespace
