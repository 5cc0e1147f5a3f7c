// Hostile clients against the real estd binary on loopback: slowloris,
// oversized and malformed requests, connection floods, smuggling shapes,
// pathological CSRs. Each must get a clear status or a closed connection,
// estd must keep serving a normal client within a bounded latency, and no
// certificate may be issued for a request that should fail. Every loop is
// bounded in count and in time; every socket has a timeout.

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "support/daemon.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kAdminKey = "adm-0123456789abcdef0123";
// What "served within bounded latency" means on a loaded 2-core CI machine.
constexpr auto kServeBound = 5s;
// The daemon's read timeout in these tests: a whole request must arrive
// within it.
constexpr int kReadTimeoutSeconds = 3;

struct SslCtxFree {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct EvpPkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509ReqFree {
    void operator()(X509_REQ* req) const { X509_REQ_free(req); }
};
struct GeneralNamesFree {
    void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
struct Asn1StringFree {
    void operator()(ASN1_STRING* s) const { ASN1_STRING_free(s); }
};

// An owned file descriptor.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

  private:
    int fd_ = -1;
};

sockaddr_in loopback(unsigned short port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A blocking TCP connection with send and receive timeouts, so no call in
// a test can hang.
Fd connect_tcp(unsigned short port, std::chrono::milliseconds timeout = 5000ms) {
    Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const auto address = loopback(port);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        return Fd{};
    }
    return fd;
}

// Reads what the peer sends until it closes or `bound` passes; true in
// `closed` when the peer closed.
std::string drain_plain(int fd, Clock::duration bound, bool* closed) {
    std::string data;
    const auto deadline = Clock::now() + bound;
    char buffer[4096];
    *closed = false;
    while (Clock::now() < deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
        if (ready < 0 && errno != EINTR) {
            *closed = true;
            break;
        }
        if (ready > 0) {
            const auto n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                *closed = true;
                break;
            }
            data.append(buffer, static_cast<std::size_t>(n));
        }
    }
    return data;
}

// One TLS connection from an in-process OpenSSL client, so a test can send
// exactly the bytes it wants (smuggling shapes, trickled requests).
class TlsConnection {
  public:
    TlsConnection(SSL_CTX* ctx, unsigned short port, std::chrono::milliseconds timeout = 5000ms)
        : fd_(connect_tcp(port, timeout)) {
        if (fd_.get() < 0) {
            return;
        }
        ssl_.reset(SSL_new(ctx));
        SSL_set_fd(ssl_.get(), fd_.get());
        SSL_set_tlsext_host_name(ssl_.get(), "localhost");
        handshaken_ = SSL_connect(ssl_.get()) == 1;
    }
    bool ok() const { return handshaken_; }
    int fd() const { return fd_.get(); }

    bool send(const std::string& bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const int n =
                SSL_write(ssl_.get(), bytes.data() + done,
                          static_cast<int>(std::min<std::size_t>(bytes.size() - done, 16384)));
            if (n <= 0) {
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    // Everything the server sends until it closes the connection or
    // `bound` passes; `closed` tells which.
    std::string read_until_close(Clock::duration bound, bool* closed = nullptr) {
        std::string data;
        bool peer_closed = false;
        const auto deadline = Clock::now() + bound;
        char buffer[16384];
        while (Clock::now() < deadline) {
            if (SSL_pending(ssl_.get()) == 0) {
                const auto left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
                pollfd p{fd_.get(), POLLIN, 0};
                const int ready = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
                if (ready == 0) {
                    continue;
                }
                if (ready < 0 && errno != EINTR) {
                    peer_closed = true;
                    break;
                }
            }
            const int n = SSL_read(ssl_.get(), buffer, sizeof buffer);
            if (n > 0) {
                data.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            const int err = SSL_get_error(ssl_.get(), n);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                continue;
            }
            peer_closed = true;
            break;
        }
        if (closed != nullptr) {
            *closed = peer_closed;
        }
        return data;
    }

    // Reads until `count` complete responses (by Content-Length) arrived,
    // the server closed, or `bound` passed.
    std::string read_responses(std::size_t count, Clock::duration bound, bool* closed = nullptr);

  private:
    Fd fd_;
    std::unique_ptr<SSL, SslFree> ssl_;
    bool handshaken_ = false;
};

// The status codes of the HTTP responses in `raw`, in order.
std::vector<int> statuses(const std::string& raw) {
    std::vector<int> found;
    std::size_t pos = 0;
    while ((pos = raw.find("HTTP/1.1 ", pos)) != std::string::npos) {
        found.push_back(std::atoi(raw.substr(pos + 9, 3).c_str()));
        pos += 9;
    }
    return found;
}

// Complete responses in `raw`: header plus Content-Length bytes of body.
std::size_t complete_responses(const std::string& raw) {
    std::size_t count = 0;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const auto header_end = raw.find("\r\n\r\n", pos);
        if (header_end == std::string::npos) {
            break;
        }
        std::size_t length = 0;
        const auto cl = raw.find("Content-Length: ", pos);
        if (cl != std::string::npos && cl < header_end) {
            length = static_cast<std::size_t>(std::atol(raw.c_str() + cl + 16));
        }
        if (raw.size() < header_end + 4 + length) {
            break;
        }
        ++count;
        pos = header_end + 4 + length;
    }
    return count;
}

std::string TlsConnection::read_responses(std::size_t count, Clock::duration bound, bool* closed) {
    std::string data;
    bool peer_closed = false;
    const auto deadline = Clock::now() + bound;
    while (Clock::now() < deadline && complete_responses(data) < count) {
        bool chunk_closed = false;
        data += read_until_close(std::min<Clock::duration>(200ms, deadline - Clock::now()),
                                 &chunk_closed);
        if (chunk_closed) {
            peer_closed = true;
            break;
        }
    }
    if (closed != nullptr) {
        *closed = peer_closed;
    }
    return data;
}

// A process's resident set in KiB (VmRSS in /proc/<pid>/status); 0 when
// it cannot be read.
std::size_t resident_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmRSS:")) {
            return static_cast<std::size_t>(std::atol(line.c_str() + 6));
        }
    }
    return 0;
}

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// `depth` SEQUENCEs, each the only content of the one around it, built
// inside out; long-form lengths once the content passes 127 bytes. Malformed
// on purpose, so no encoder of a library would build it.
std::string nested_sequences(int depth) {
    std::string der;
    for (int i = 0; i < depth; ++i) {
        const std::size_t len = der.size();
        std::string header(1, '\x30');
        if (len < 128) {
            header += static_cast<char>(len);
        } else if (len < 256) {
            header += '\x81';
            header += static_cast<char>(len);
        } else {
            header += '\x82';
            header += static_cast<char>((len >> 8) & 0xff);
            header += static_cast<char>(len & 0xff);
        }
        der = header + der;
    }
    return der;
}

// A signed P-256 CSR for `cn` with `san_count` DNS SANs and, when
// `nesting` > 0, an attribute whose value is that many nested SEQUENCEs.
std::string make_csr_der(const std::string& cn, int san_count = 0, int nesting = 0) {
    std::unique_ptr<EVP_PKEY, EvpPkeyFree> key(EVP_EC_gen("P-256"));
    std::unique_ptr<X509_REQ, X509ReqFree> req(X509_REQ_new());
    X509_NAME* name = X509_REQ_get_subject_name(req.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_REQ_set_pubkey(req.get(), key.get());
    if (san_count > 0) {
        std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(GENERAL_NAMES_new());
        for (int i = 0; i < san_count; ++i) {
            const std::string dns = "host-" + std::to_string(i) + ".example.com";
            GENERAL_NAME* gn = GENERAL_NAME_new();
            ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
            ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size()));
            GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
            sk_GENERAL_NAME_push(names.get(), gn);
        }
        STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
        X509V3_add1_i2d(&exts, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT);
        X509_REQ_add_extensions(req.get(), exts);
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    }
    if (nesting > 0) {
        const std::string der = nested_sequences(nesting);
        std::unique_ptr<ASN1_STRING, Asn1StringFree> value(ASN1_STRING_type_new(V_ASN1_SEQUENCE));
        ASN1_STRING_set(value.get(), der.data(), static_cast<int>(der.size()));
        const ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
        X509_ATTRIBUTE* attribute =
            X509_ATTRIBUTE_create_by_OBJ(nullptr, oid, V_ASN1_SEQUENCE, value.get(), -1);
        X509_REQ_add1_attr(req.get(), attribute);
        X509_ATTRIBUTE_free(attribute);
        ASN1_OBJECT_free(const_cast<ASN1_OBJECT*>(oid));
    }
    X509_REQ_sign(req.get(), key.get(), EVP_sha256());
    unsigned char* out = nullptr;
    const int len = i2d_X509_REQ(req.get(), &out);
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    return der;
}

std::string post(const std::string& target, const std::string& body,
                 const std::string& content_type = "application/pkcs10") {
    return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string get(const std::string& target, const std::string& extra_headers = "") {
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n";
}

class HostileClientsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        // A write to a connection estd has already closed (slowloris, floods)
        // must be an error return, not the end of the test binary.
        std::signal(SIGPIPE, SIG_IGN);
        dir_ = make_temp_dir("estd-hostile");
        make_dev_pki(dir_ / "pki", "corp");
        ctx_.reset(SSL_CTX_new(TLS_client_method()));
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
        SSL_CTX_load_verify_locations(ctx_.get(), (dir_ / "pki/root-ca.crt").c_str(), nullptr);
    }
    void TearDown() override {
        if (HasFailure()) {
            const auto log = daemon_.log();
            std::cerr << "---- estd log (tail) ----\n"
                      << log.substr(log.size() > 20000 ? log.size() - 20000 : 0) << "\n";
        }
        daemon_.stop();
        fs::remove_all(dir_);
    }

    Daemon::Environment env(int read_timeout = kReadTimeoutSeconds) const {
        auto env = dev_pki_environment(dir_);
        env.insert({
            {"CERTCTL_EST_ISSUER_ID", "iss-local"},
            {"CERTCTL_SERVER_READ_TIMEOUT", std::to_string(read_timeout) + "s"},
            {"CERTCTL_SERVER_IDLE_TIMEOUT", std::to_string(read_timeout) + "s"},
            {"CERTCTL_API_KEYS_NAMED", std::string("ops:") + kAdminKey + ":admin"},
        });
        return env;
    }

    void start(int read_timeout = kReadTimeoutSeconds) {
        ASSERT_TRUE(daemon_.start(env(read_timeout))) << daemon_.log();
    }

    // One request on a fresh connection; the raw response (empty when the
    // connection failed).
    std::string exchange(const std::string& request, Clock::duration bound = kServeBound,
                         bool* closed = nullptr) {
        TlsConnection connection(ctx_.get(), daemon_.port());
        if (!connection.ok() || !connection.send(request)) {
            return {};
        }
        return connection.read_responses(1, bound, closed);
    }

    // A normal client: cacerts answers 200 within kServeBound. Returns how
    // long it took, or nothing.
    std::optional<Clock::duration> normal_client_served() {
        const auto start = Clock::now();
        const auto raw =
            exchange(get("/.well-known/est/cacerts", "Connection: close\r\n"), kServeBound);
        const auto took = Clock::now() - start;
        if (statuses(raw) != std::vector<int>{200} || took > kServeBound) {
            return std::nullopt;
        }
        return took;
    }

    void expect_normal_client_served(const char* when) {
        const auto took = normal_client_served();
        EXPECT_TRUE(took.has_value()) << "a normal client was not served " << when;
    }

    // How many certificates estd has recorded as issued.
    std::size_t issued_count() {
        const auto raw = exchange(
            get("/api/v1/est/certificates?limit=500",
                std::string("Authorization: Bearer ") + kAdminKey + "\r\nConnection: close\r\n"));
        const auto body_at = raw.find("\r\n\r\n");
        if (statuses(raw) != std::vector<int>{200} || body_at == std::string::npos) {
            ADD_FAILURE() << "cannot list certificates: " << raw;
            return 0;
        }
        const auto answer = nlohmann::json::parse(raw.substr(body_at + 4), nullptr, false);
        return answer.is_object() ? answer["certificates"].size() : 0;
    }

    fs::path dir_;
    Daemon daemon_;
    std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
};

// Connections that send their header (or body) a byte at a time never get
// to hold a session beyond the read timeout, and meanwhile others are served.
void trickle_and_expect_closed(SSL_CTX* ctx, unsigned short port, const std::string& prefix,
                               const std::string& trickled,
                               const std::function<void(const char*)>& check_normal) {
    constexpr int kConnections = 20;
    std::vector<std::unique_ptr<TlsConnection>> connections;
    for (int i = 0; i < kConnections; ++i) {
        connections.push_back(std::make_unique<TlsConnection>(ctx, port));
        ASSERT_TRUE(connections.back()->ok());
        ASSERT_TRUE(connections.back()->send(prefix));
    }
    std::vector<bool> closed(kConnections, false);
    std::vector<std::string> answers(kConnections);
    const auto start = Clock::now();
    // The read timeout bounds the whole request; give it 4 s of slack.
    const auto deadline = start + std::chrono::seconds(kReadTimeoutSeconds) + 4s;
    std::size_t next_byte = 0;
    int open = kConnections;
    while (open > 0 && Clock::now() < deadline) {
        const std::string byte(1, trickled[next_byte++ % trickled.size()]);
        for (int i = 0; i < kConnections; ++i) {
            if (closed[i]) {
                continue;
            }
            connections[i]->send(byte);
            bool peer_closed = false;
            answers[i] += connections[i]->read_until_close(1ms, &peer_closed);
            if (peer_closed) {
                closed[i] = true;
                --open;
            }
        }
        check_normal("during a slowloris");
        std::this_thread::sleep_for(250ms);  // the attack's pace, not a wait for estd
    }
    EXPECT_EQ(open, 0)
        << "slow connections still open after "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
        << " ms";
    EXPECT_GE(Clock::now() - start, std::chrono::seconds(kReadTimeoutSeconds) - 500ms)
        << "closed before the read timeout: the test measured something else";
    for (const auto& answer : answers) {
        // Nobody is waiting for an answer to half a request: closed silently.
        EXPECT_TRUE(answer.empty()) << answer;
    }
}

TEST_F(HostileClientsTest, SlowlorisHeadersAreCutOffAtTheReadTimeout) {
    start();
    trickle_and_expect_closed(ctx_.get(), daemon_.port(),
                              "GET /.well-known/est/cacerts HTTP/1.1\r\n",
                              "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
                              [this](const char* when) { expect_normal_client_served(when); });
    expect_normal_client_served("after a slowloris on headers");
}

TEST_F(HostileClientsTest, SlowlorisBodiesAreCutOffAtTheReadTimeout) {
    start();
    trickle_and_expect_closed(ctx_.get(), daemon_.port(),
                              "POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Type: application/pkcs10\r\nContent-Length: 10000\r\n\r\n",
                              "MIIB",
                              [this](const char* when) { expect_normal_client_served(when); });
    expect_normal_client_served("after a slowloris on bodies");
    EXPECT_EQ(issued_count(), 0U);
}

TEST_F(HostileClientsTest, BodiesOverTheLimitGet413AndNoCertificate) {
    start();
    const std::string big(300 * 1024, 'A');  // default limit: 256 KiB
    // Announced by Content-Length: refused before the body is read.
    bool closed = false;
    auto raw = exchange(post("/.well-known/est/simpleenroll", big), kServeBound, &closed);
    EXPECT_EQ(statuses(raw), std::vector<int>{413}) << raw.substr(0, 300);
    // Chunked: refused once the running total passes the limit.
    std::string chunked =
        "POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/pkcs10\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 40; ++i) {
        chunked += "2000\r\n" + std::string(0x2000, 'A') + "\r\n";
    }
    chunked += "0\r\n\r\n";
    raw = exchange(chunked, kServeBound, &closed);
    EXPECT_EQ(statuses(raw), std::vector<int>{413}) << raw.substr(0, 300);
    // A header over the header limit (16 KiB).
    raw = exchange(get("/.well-known/est/cacerts", "X-Big: " + std::string(20000, 'b') + "\r\n"));
    EXPECT_EQ(statuses(raw), std::vector<int>{413}) << raw.substr(0, 300);
    // Within the header limit, but 200 fields (each costs Beast ~80 bytes).
    std::string many_fields;
    for (int i = 0; i < 200; ++i) {
        many_fields += "a:\r\n";
    }
    raw = exchange(get("/.well-known/est/cacerts", many_fields));
    EXPECT_EQ(statuses(raw), std::vector<int>{413}) << raw.substr(0, 300);
    expect_normal_client_served("after oversized requests");
    EXPECT_EQ(issued_count(), 0U);
}

TEST_F(HostileClientsTest, TenThousandIdleConnectionsDoNotStarveANormalClient) {
    constexpr int kIdle = 10000;
    // Both this process and estd (which inherits the limit) hold one
    // descriptor per connection.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < kIdle + 1000) {
        limit.rlim_max = kIdle + 1000;  // root may raise it; others may not
    }
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    getrlimit(RLIMIT_NOFILE, &limit);
    ASSERT_GE(limit.rlim_cur, static_cast<rlim_t>(kIdle + 500))
        << "RLIMIT_NOFILE too low for this test; raise the hard limit";

    // Long enough that none of them times out while we look.
    start(30);
    const auto started = Clock::now();
    std::vector<Fd> idle;
    idle.reserve(kIdle);
    const auto address = loopback(daemon_.port());
    // Non-blocking connects, no TLS: the cheapest way to hold a session.
    for (int i = 0; i < kIdle && Clock::now() - started < 20s; ++i) {
        Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        ASSERT_GE(fd.get(), 0) << std::strerror(errno);
        const int rc =
            ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
        ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << std::strerror(errno);
        idle.push_back(std::move(fd));
    }
    ASSERT_EQ(idle.size(), static_cast<std::size_t>(kIdle)) << "opening them took over 20 s";
    // Wait (bounded) until every connect completed, i.e. sits in the
    // backlog or in estd.
    std::size_t pending = 0;
    const auto connect_deadline = Clock::now() + 15s;
    do {
        pending = 0;
        std::vector<pollfd> polls;
        polls.reserve(idle.size());
        for (const auto& fd : idle) {
            polls.push_back(pollfd{fd.get(), POLLOUT, 0});
        }
        ::poll(polls.data(), polls.size(), 100);
        for (const auto& p : polls) {
            pending += (p.revents & (POLLOUT | POLLERR | POLLHUP)) == 0 ? 1 : 0;
        }
    } while (pending > 0 && Clock::now() < connect_deadline);
    EXPECT_EQ(pending, 0U);
    std::cerr
        << "opened " << idle.size() << " idle connections in "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
        << " ms\n";

    // A normal client, several times, while all of them are held.
    for (int i = 0; i < 3; ++i) {
        const auto took = normal_client_served();
        ASSERT_TRUE(took.has_value())
            << "a normal client was not served with " << kIdle << " idle connections";
        std::cerr << "normal client served in "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(*took).count()
                  << " ms\n";
    }
    // None of the idle ones was dropped by estd (it allows 20 000).
    std::size_t dropped = 0;
    for (const auto& fd : idle) {
        char byte = 0;
        const auto n = ::recv(fd.get(), &byte, 1, MSG_DONTWAIT);
        dropped += (n == 0) ? 1 : 0;
    }
    EXPECT_EQ(dropped, 0U);
    idle.clear();
    expect_normal_client_served("after closing the idle connections");
}

TEST_F(HostileClientsTest, HandshakeFloodsAndGarbageAreShedAndOthersServed) {
    start();
    const auto port = daemon_.port();
    // Threads of clients, each bounded in count and time: full handshakes
    // dropped at once, half ClientHellos, garbage, plaintext HTTP.
    std::atomic<int> attempts{0};
    const auto flood_until = Clock::now() + 4s;
    std::vector<std::thread> flooders;
    for (int t = 0; t < 3; ++t) {
        flooders.emplace_back([&, t] {
            std::mt19937 random(static_cast<unsigned>(t));
            for (int i = 0; i < 400 && Clock::now() < flood_until; ++i) {
                ++attempts;
                switch ((i + t) % 4) {
                    case 0: {  // a complete handshake, then gone without a word
                        TlsConnection connection(ctx_.get(), port, 2000ms);
                        break;
                    }
                    case 1: {  // garbage bytes
                        Fd fd = connect_tcp(port, 2000ms);
                        std::string junk(4096, '\0');
                        for (auto& c : junk) {
                            c = static_cast<char>(random());
                        }
                        ::send(fd.get(), junk.data(), junk.size(), MSG_NOSIGNAL);
                        bool closed = false;
                        drain_plain(fd.get(), 2s, &closed);
                        break;
                    }
                    case 2: {  // plaintext HTTP on the TLS port
                        Fd fd = connect_tcp(port, 2000ms);
                        const std::string request = get("/.well-known/est/cacerts");
                        ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
                        bool closed = false;
                        drain_plain(fd.get(), 2s, &closed);
                        break;
                    }
                    default: {  // a TLS record header announcing a ClientHello, then a stub
                        Fd fd = connect_tcp(port, 2000ms);
                        const std::string stub("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
                        ::send(fd.get(), stub.data(), stub.size(), MSG_NOSIGNAL);
                        break;  // closed by us; estd must not wait for the rest
                    }
                }
            }
        });
    }
    // Meanwhile a normal client keeps being served.
    int served = 0;
    while (Clock::now() < flood_until) {
        served += normal_client_served().has_value() ? 1 : 0;
        std::this_thread::sleep_for(200ms);  // the normal client's pace
    }
    for (auto& thread : flooders) {
        thread.join();
    }
    EXPECT_GT(attempts.load(), 100);
    EXPECT_GE(served, 3);

    // Garbage gets a closed connection, not an answer, within the timeout.
    Fd fd = connect_tcp(port);
    const std::string junk(2048, '\x17');
    ::send(fd.get(), junk.data(), junk.size(), MSG_NOSIGNAL);
    bool closed = false;
    drain_plain(fd.get(), std::chrono::seconds(kReadTimeoutSeconds) + 3s, &closed);
    EXPECT_TRUE(closed);
    // A half ClientHello left hanging is closed by the read timeout.
    Fd hanging = connect_tcp(port);
    const std::string stub("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    ::send(hanging.get(), stub.data(), stub.size(), MSG_NOSIGNAL);
    drain_plain(hanging.get(), std::chrono::seconds(kReadTimeoutSeconds) + 3s, &closed);
    EXPECT_TRUE(closed);
    expect_normal_client_served("after the flood");
    EXPECT_EQ(daemon_.running(), true);
}

TEST_F(HostileClientsTest, SmugglingShapesAreRefusedAndCloseTheConnection) {
    start();
    const std::string csr_b64 = base64(make_csr_der("smuggled.example.com"));
    // The smuggled request an attacker would want a front end to miss.
    const std::string smuggled = post("/.well-known/est/simpleenroll", csr_b64);
    struct Shape {
        const char* name;
        std::string headers;
        std::string body;
    };
    const std::vector<Shape> shapes = {
        {"two different Content-Length", "Content-Length: 4\r\nContent-Length: 40\r\n",
         "AAAA" + smuggled},
        {"Content-Length then Transfer-Encoding",
         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + smuggled},
        {"Transfer-Encoding then Content-Length",
         "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n" + smuggled},
        {"Transfer-Encoding not ending in chunked", "Transfer-Encoding: chunked, identity\r\n",
         "0\r\n\r\n" + smuggled},
        {"obsolete line folding", "Content-Length: 4\r\n X-Folded: 1\r\n", "AAAA" + smuggled},
        {"space before the colon", "Content-Length : 4\r\n", "AAAA" + smuggled},
        {"negative Content-Length", "Content-Length: -1\r\n", smuggled},
        {"Content-Length with a sign", "Content-Length: +4\r\n", "AAAA" + smuggled},
        {"bad chunk size", "Transfer-Encoding: chunked\r\n", "zz\r\nAAAA\r\n0\r\n\r\n" + smuggled},
        {"non-chunked Transfer-Encoding then Content-Length",
         "Transfer-Encoding: identity\r\nContent-Length: 5\r\n", "0\r\n\r\n" + smuggled},
        {"Transfer-Encoding split over two fields",
         "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + smuggled},
        {"folded Transfer-Encoding", "Transfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n" + smuggled},
        {"Transfer-Encoding with a parameter", "Transfer-Encoding: chunked;q=1\r\n",
         "0\r\n\r\n" + smuggled},
        {"trailer fields", "Transfer-Encoding: chunked\r\n",
         "1\r\nA\r\n0\r\nContent-Length: 4\r\n\r\n" + smuggled},
    };
    for (const auto& shape : shapes) {
        const std::string request =
            "POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: "
            "localhost\r\nContent-Type: application/pkcs10\r\n" +
            shape.headers + "\r\n" + shape.body;
        TlsConnection connection(ctx_.get(), daemon_.port());
        ASSERT_TRUE(connection.ok());
        ASSERT_TRUE(connection.send(request));
        bool closed = false;
        const auto raw = connection.read_until_close(kServeBound, &closed);
        const auto codes = statuses(raw);
        // One answer, 400, and the connection closed: the smuggled request
        // is never read as a request of its own.
        EXPECT_TRUE(closed) << shape.name;
        EXPECT_EQ(codes, std::vector<int>{400}) << shape.name << "\n" << raw;
    }
    expect_normal_client_served("after smuggling attempts");
    EXPECT_EQ(issued_count(), 0U);
}

// RFC 9112 3.2: an HTTP/1.1 request has exactly one Host. Two
// Authorization fields leave open which one a front end checked.
TEST_F(HostileClientsTest, MissingOrRepeatedHostAndRepeatedAuthorizationAreRefused) {
    start();
    const std::string admin = std::string("Authorization: Bearer ") + kAdminKey + "\r\n";
    const std::vector<std::pair<const char*, std::string>> requests = {
        {"HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\n\r\n"},
        {"two Host fields", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n\r\n"},
        {"two Authorization fields",
         get("/api/v1/est/certificates", admin + "Authorization: Bearer wrong-key\r\n")},
        {"two Authorization fields, the valid one last",
         get("/api/v1/est/certificates", "Authorization: Bearer wrong-key\r\n" + admin)},
    };
    for (const auto& [name, request] : requests) {
        TlsConnection connection(ctx_.get(), daemon_.port());
        ASSERT_TRUE(connection.ok());
        // A pipelined request behind it must never be answered.
        ASSERT_TRUE(connection.send(request + get("/healthz")));
        bool closed = false;
        const auto raw = connection.read_until_close(kServeBound, &closed);
        EXPECT_TRUE(closed) << name;
        EXPECT_EQ(statuses(raw), std::vector<int>{400}) << name << "\n" << raw;
    }
    expect_normal_client_served("after Host and Authorization shapes");
}

// Chunk-size lines, their extensions and the trailer section sit in the
// read buffer until their line (or blank line) ends; without a bound, four
// unauthenticated connections sending one endless extension or trailer
// section each grew the server by what they sent. Now each is cut off at
// the header limit (16 KiB) with 413, and the server's resident set stays
// put while they send.
TEST_F(HostileClientsTest, EndlessChunkExtensionsAndTrailersAreCutOffAtTheHeaderLimit) {
    start();
    expect_normal_client_served("before the attack");
    const pid_t pid = daemon_.pid();
    const std::string head =
        "POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string trailer_lines;
    for (int i = 0; i < 8; ++i) {
        trailer_lines += "X-Trailer-" + std::to_string(i) + ": " + std::string(8000, 't') + "\r\n";
    }
    struct Shape {
        const char* name;
        std::string prefix;
        std::string filler;  // sent again and again, never ending the line or section
    };
    const std::vector<Shape> shapes = {
        {"chunk extension without a line end", head + "1;", std::string(64 * 1024, 'e')},
        {"endless trailer section", head + "1\r\nA\r\n0\r\n", trailer_lines},
    };
    constexpr int kConnections = 4;
    constexpr std::size_t kBytesEach = 16 * 1024 * 1024;
    // Well under the 64 MiB the four connections send, well over what
    // four sessions hold (docs/security.md, "Memory").
    constexpr std::size_t kGrowthBoundKib = 16 * 1024;
    for (const auto& shape : shapes) {
        const std::size_t baseline = resident_kib(pid);
        ASSERT_GT(baseline, 0U);
        std::atomic<bool> done{false};
        std::atomic<std::size_t> peak{baseline};
        std::thread sampler([&] {
            while (!done.load()) {
                peak = std::max(peak.load(), resident_kib(pid));
                std::this_thread::sleep_for(5ms);
            }
        });
        std::vector<std::string> answers(kConnections);
        std::vector<int> closed(kConnections, 0);
        std::vector<std::size_t> sent(kConnections, 0);
        std::vector<std::thread> senders;
        for (int i = 0; i < kConnections; ++i) {
            senders.emplace_back([&, i] {
                TlsConnection connection(ctx_.get(), daemon_.port());
                if (!connection.ok() || !connection.send(shape.prefix)) {
                    return;
                }
                // Until the server answers (or stops reading), as a client
                // that never meant to finish the request would.
                const auto deadline = Clock::now() + 6s;
                bool peer_closed = false;
                while (sent[i] < kBytesEach && Clock::now() < deadline && answers[i].empty() &&
                       !peer_closed && connection.send(shape.filler)) {
                    sent[i] += shape.filler.size();
                    answers[i] += connection.read_until_close(1ms, &peer_closed);
                }
                if (!peer_closed) {
                    answers[i] += connection.read_until_close(kServeBound, &peer_closed);
                }
                closed[i] = peer_closed ? 1 : 0;
            });
        }
        for (auto& sender : senders) {
            sender.join();
        }
        done = true;
        sampler.join();
        EXPECT_LT(peak.load() - baseline, kGrowthBoundKib)
            << shape.name << ": RSS " << baseline << " KiB -> " << peak.load() << " KiB";
        for (int i = 0; i < kConnections; ++i) {
            EXPECT_EQ(statuses(answers[i]), std::vector<int>{413})
                << shape.name << " (sent " << sent[i] << " bytes)\n"
                << answers[i].substr(0, 300);
            EXPECT_TRUE(closed[i] != 0) << shape.name;
        }
        expect_normal_client_served(shape.name);
    }
}

TEST_F(HostileClientsTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    TlsConnection connection(ctx_.get(), daemon_.port());
    ASSERT_TRUE(connection.ok());
    // Three reads and a bad enrollment in one write; then one that closes.
    const std::string batch = get("/.well-known/est/cacerts") + get("/healthz") +
                              post("/.well-known/est/simpleenroll", "bm90IGEgQ1NS") +
                              get("/.well-known/est/csrattrs") +
                              get("/healthz", "Connection: close\r\n");
    ASSERT_TRUE(connection.send(batch));
    bool closed = false;
    const auto raw = connection.read_responses(5, kServeBound, &closed);
    const auto codes = statuses(raw);
    ASSERT_EQ(codes.size(), 5U) << raw;
    EXPECT_EQ(codes[0], 200);
    EXPECT_EQ(codes[1], 200);
    EXPECT_EQ(codes[2], 400);
    EXPECT_TRUE(codes[3] == 200 || codes[3] == 204 || codes[3] == 404) << codes[3];
    EXPECT_EQ(codes[4], 200);
    connection.read_until_close(kServeBound, &closed);
    EXPECT_TRUE(closed);

    // Many small pipelined requests in one burst: bounded, all answered.
    TlsConnection burst(ctx_.get(), daemon_.port());
    ASSERT_TRUE(burst.ok());
    std::string many;
    for (int i = 0; i < 200; ++i) {
        many += get("/healthz");
    }
    many += get("/healthz", "Connection: close\r\n");
    ASSERT_TRUE(burst.send(many));
    const auto burst_raw = burst.read_responses(201, 10s, &closed);
    EXPECT_EQ(statuses(burst_raw).size(), 201U);
    EXPECT_EQ(issued_count(), 0U);
}

TEST_F(HostileClientsTest, TruncatedHugeAndPathologicalCsrsGetAClearStatus) {
    start();
    const std::string good = make_csr_der("device.example.com");
    // Truncated at several points (DER cut inside the header, the
    // subject, the key, the signature), and the base64 cut mid-quantum.
    for (const std::size_t cut : {std::size_t{1}, std::size_t{4}, std::size_t{30}, good.size() / 2,
                                  good.size() - 10, good.size() - 1}) {
        const auto raw =
            exchange(post("/.well-known/est/simpleenroll", base64(good.substr(0, cut))));
        EXPECT_EQ(statuses(raw), std::vector<int>{400}) << "cut at " << cut << "\n" << raw;
    }
    const std::string b64 = base64(good);
    auto raw = exchange(post("/.well-known/est/simpleenroll", b64.substr(0, b64.size() - 3)));
    EXPECT_EQ(statuses(raw), std::vector<int>{400}) << raw;
    // A flipped signature byte.
    std::string tampered = good;
    tampered[tampered.size() - 5] = static_cast<char>(tampered[tampered.size() - 5] ^ 0x40);
    raw = exchange(post("/.well-known/est/simpleenroll", base64(tampered)));
    EXPECT_EQ(statuses(raw), std::vector<int>{400}) << raw;
    // Huge: just under the body limit, valid base64 of garbage.
    std::string garbage(190 * 1024, '\0');
    std::mt19937 random(7);
    for (auto& c : garbage) {
        c = static_cast<char>(random());
    }
    raw = exchange(post("/.well-known/est/simpleenroll", base64(garbage)));
    EXPECT_EQ(statuses(raw), std::vector<int>{400}) << raw.substr(0, 300);
    // Huge and well formed: a DER length field claiming 4 GiB.
    raw = exchange(post("/.well-known/est/simpleenroll",
                        base64(std::string("\x30\x84\xff\xff\xff\xff", 6) + good)));
    EXPECT_EQ(statuses(raw), std::vector<int>{400}) << raw;
    // Deep nesting in place of the CSR: OpenSSL's decoder bounds its depth.
    raw = exchange(post("/.well-known/est/simpleenroll", base64(nested_sequences(5000))));
    EXPECT_EQ(statuses(raw), std::vector<int>{400}) << raw;
    // Deep nesting inside a correctly signed CSR: estd must not recurse
    // without a bound. The legacy profile has no attribute policy, so the
    // nested attribute itself is not a reason to refuse; what matters is a
    // clear status and a live daemon.
    std::size_t issued = 0;
    for (const int depth : {100, 5000}) {
        raw = exchange(post("/.well-known/est/simpleenroll",
                            base64(make_csr_der("nested.example.com", 0, depth))));
        const auto codes = statuses(raw);
        ASSERT_EQ(codes.size(), 1U) << "depth " << depth << "\n" << raw;
        EXPECT_TRUE(codes[0] == 200 || codes[0] == 400) << "depth " << depth << "\n" << raw;
        issued += codes[0] == 200 ? 1 : 0;
    }
    expect_normal_client_served("after pathological CSRs");
    // Exactly the answered ones were issued; none of the refused ones.
    EXPECT_EQ(issued_count(), issued);
}

TEST_F(HostileClientsTest, CsrWithThousandsOfSansIsRefused) {
    start();
    const auto before = issued_count();
    // 2 000 DNS names: about 60 KiB of base64, well within the body limit.
    const auto start_time = Clock::now();
    const auto raw = exchange(
        post("/.well-known/est/simpleenroll", base64(make_csr_der("many.example.com", 2000))), 10s);
    const auto codes = statuses(raw);
    ASSERT_EQ(codes.size(), 1U) << raw;
    EXPECT_EQ(codes[0], 400) << raw.substr(0, 400);
    EXPECT_LT(Clock::now() - start_time, 10s);
    // A CSR with a reasonable number of SANs is still issued.
    const auto ok = exchange(
        post("/.well-known/est/simpleenroll", base64(make_csr_der("few.example.com", 20))));
    EXPECT_EQ(statuses(ok), std::vector<int>{200}) << ok.substr(0, 400);
    expect_normal_client_served("after a CSR with thousands of SANs");
    EXPECT_EQ(issued_count(), before + 1);
}

}  // namespace
}  // namespace estd::testing
