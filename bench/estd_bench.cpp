// estd-bench: an asynchronous load generator for any RFC 7030 (EST) server.
//
// One io_context, a few threads, one coroutine per simulated client: 256
// concurrent clients cost 256 coroutine frames, not 256 threads. CSRs are
// made before the clock starts; every response is checked (status 200,
// base64 → certs-only PKCS#7, issued key == CSR key) and failures are
// counted by kind. See docs/performance.md.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "estd/client/connection_options.hpp"
#include "estd/client/csr_builder.hpp"
#include "estd/client/url.hpp"
#include "estd/https/connection.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/handles.hpp"
#include "estd/pki/key_generation.hpp"
#include "estd/pki/pkcs7.hpp"

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using estd::pki::Bytes;
using estd::pki::EvpPkeyPtr;
using estd::pki::X509Ptr;

// ---------------------------------------------------------------- scenarios

enum class Operation { none, cacerts, simpleenroll, simplereenroll };

struct Scenario {
    const char* name;
    Operation operation;
    bool new_connection;  // one TLS connection per request
    const char* meaning;
};

constexpr std::array<Scenario, 6> kScenarios{{
    {"cacerts-keepalive", Operation::cacerts, false,
     "GET cacerts, many requests per kept-alive TLS connection"},
    {"enroll-new-conn", Operation::simpleenroll, true,
     "POST simpleenroll, a new TLS connection (full handshake) per request"},
    {"enroll-keepalive", Operation::simpleenroll, false,
     "POST simpleenroll, many requests per kept-alive TLS connection"},
    {"reenroll-mtls", Operation::simplereenroll, true,
     "POST simplereenroll with a client certificate, a new mTLS connection per request"},
    {"reenroll-mtls-keepalive", Operation::simplereenroll, false,
     "POST simplereenroll with a client certificate, on kept-alive mTLS connections"},
    {"handshake", Operation::none, true,
     "TCP connect, TLS handshake, close_notify, wait for the server to close: no HTTP"},
}};

const Scenario* find_scenario(const std::string& name) {
    for (const auto& s : kScenarios) {
        if (name == s.name) {
            return &s;
        }
    }
    return nullptr;
}

// ------------------------------------------------------------------ errors

enum ErrorKind : std::size_t {
    err_connect,
    err_tls,
    err_http_status,
    err_io,
    err_timeout,
    err_parse,
    err_key_mismatch,
    err_count
};
constexpr std::array<const char*, err_count> kErrorNames{"connect", "tls",   "http_status", "io",
                                                         "timeout", "parse", "key_mismatch"};

struct Stats {
    std::uint64_t ok = 0;
    std::uint64_t connections = 0;  // TLS connections established
    std::array<std::uint64_t, err_count> errors{};
    std::map<unsigned, std::uint64_t> statuses;  // non-200 statuses seen
    std::vector<std::uint32_t> latencies_us;     // successful requests only
    std::array<std::string, err_count> sample;   // first message of each kind
    // The last cacerts body that passed the full check: an identical answer
    // is compared byte for byte instead of decoded again, so the client's
    // own parsing does not cap the cacerts figures.
    std::string last_good_cacerts;
    // --serials-out: "<Unix time in ms> <serial hex>" per certificate received.
    std::vector<std::string> received;

    void error(ErrorKind kind, std::string message) {
        ++errors[kind];
        if (sample[kind].empty()) {
            sample[kind] = std::move(message);
        }
    }
    void merge(Stats&& other) {
        ok += other.ok;
        connections += other.connections;
        for (std::size_t i = 0; i < err_count; ++i) {
            errors[i] += other.errors[i];
            if (sample[i].empty()) {
                sample[i] = std::move(other.sample[i]);
            }
        }
        for (const auto& [status, n] : other.statuses) {
            statuses[status] += n;
        }
        latencies_us.insert(latencies_us.end(), other.latencies_us.begin(),
                            other.latencies_us.end());
        received.insert(received.end(), std::make_move_iterator(other.received.begin()),
                        std::make_move_iterator(other.received.end()));
    }
    std::uint64_t error_total() const {
        std::uint64_t total = 0;
        for (auto n : errors) {
            total += n;
        }
        return total;
    }
};

// ----------------------------------------------------------------- options

struct Options {
    std::string url;
    std::string profile;
    std::string scenario_name = "cacerts-keepalive";
    unsigned concurrency = 1;
    double duration = 5.0;
    std::uint64_t requests = 0;  // 0: run for `duration`
    std::string user;
    std::string password_file;
    std::string tls = "1.3";
    std::string cacert;
    bool insecure = false;
    std::string client_cert;
    std::string client_key;
    std::string key_type = "p256";
    unsigned pool_size = 0;  // 0: 64 for P-256, 16 for RSA
    unsigned threads = 1;
    double timeout = 10.0;
    long server_pid = 0;
    bool json = false;
    std::string json_out;
    unsigned idle_connections = 0;
    double hold = 5.0;
    std::string label;
    std::string serials_out;
};

// ----------------------------------------------------------- server probes

struct ServerSample {
    bool valid = false;
    double cpu_seconds = 0;  // utime + stime
    long rss_kb = 0;         // VmRSS
    long hwm_kb = 0;         // VmHWM
};

ServerSample sample_server(long pid) {
    ServerSample s;
    if (pid <= 0) {
        return s;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return s;
    }
    const auto close = line.rfind(')');
    if (close == std::string::npos) {
        return s;
    }
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> tokens;
    for (std::string t; fields >> t;) {
        tokens.push_back(t);
    }
    if (tokens.size() < 13) {
        return s;
    }
    // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    s.cpu_seconds = static_cast<double>(std::stoull(tokens[11]) + std::stoull(tokens[12])) / ticks;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            s.rss_kb = std::stol(line.substr(6));
        } else if (line.rfind("VmHWM:", 0) == 0) {
            s.hwm_kb = std::stol(line.substr(6));
        }
    }
    s.valid = true;
    return s;
}

// Resets the peak RSS (VmHWM) to the current RSS, so the peak reported is
// the run's. Needs the right to write the process's clear_refs (same user).
bool reset_peak_rss(long pid) {
    if (pid <= 0) {
        return false;
    }
    std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
    out << "5\n";
    out.flush();
    return static_cast<bool>(out);
}

// -------------------------------------------------------------- CSR pool

struct PoolEntry {
    std::string body;       // base64 of the DER CSR, in 76-column lines (libest's server
                            // refuses a CSR sent as one line; every server takes lines)
    EvpPkeyPtr key;         // the CSR's key pair
    Bytes public_key_info;  // its DER SubjectPublicKeyInfo, compared with the answer's
};

std::optional<EvpPkeyPtr> make_key(const std::string& key_type) {
    if (key_type == "rsa2048") {
        auto key = estd::pki::generate_rsa_key(2048);
        if (!key) {
            return std::nullopt;
        }
        return std::move(*key);
    }
    auto key = estd::pki::generate_ec_key("P-256");
    if (!key) {
        return std::nullopt;
    }
    return std::move(*key);
}

// `renew` non-null: the CSRs repeat its subject and SAN (RFC 7030 §4.2.2).
std::optional<std::vector<PoolEntry>> make_pool(const std::string& key_type, unsigned size,
                                                X509* renew, std::string& error) {
    std::vector<PoolEntry> pool;
    for (unsigned i = 0; i < size; ++i) {
        auto key = make_key(key_type);
        if (!key) {
            error = "key generation failed";
            return std::nullopt;
        }
        estd::client::CsrRequest request;
        if (renew != nullptr) {
            request = estd::client::renewal_request(renew);
        } else {
            request.common_name = "estd-bench-" + std::to_string(i);
            request.dns_names = {"estd-bench-" + std::to_string(i) + ".example.com"};
        }
        auto der = estd::client::build_csr(key->get(), request);
        if (!der) {
            error = "CSR: " + der.error().message;
            return std::nullopt;
        }
        auto public_key_info = estd::pki::public_key_info_der(key->get());
        if (public_key_info.empty()) {
            error = "cannot encode a CSR's public key";
            return std::nullopt;
        }
        pool.push_back(
            {estd::pki::base64_encode_lines(*der), std::move(*key), std::move(public_key_info)});
    }
    return pool;
}

// ------------------------------------------------------------- the target

struct Target {
    estd::client::ServerUrl url;
    std::vector<tcp::endpoint> endpoints;
    std::string target_path;  // the HTTP request target; empty for handshake
    std::string authorization;
    const Scenario* scenario = nullptr;
    std::vector<PoolEntry> pool;
};

// A client TLS context for `opts`, with the identity when one is given.
std::optional<ssl::context> make_tls_context(const Options& opts,
                                             const estd::https::ClientIdentity* identity,
                                             std::string& error) {
    ssl::context ctx(ssl::context::tls_client);
    SSL_CTX* native = ctx.native_handle();
    const int version = opts.tls == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(native, version);
    SSL_CTX_set_max_proto_version(native, version);
    // Every new connection is a full handshake: no client-side session cache.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    if (opts.insecure) {
        ctx.set_verify_mode(ssl::verify_none);
    } else {
        error_code ec;
        if (opts.cacert.empty()) {
            ctx.set_default_verify_paths(ec);
        } else {
            ctx.load_verify_file(opts.cacert, ec);
        }
        if (ec) {
            error = "trust anchors " + opts.cacert + ": " + ec.message();
            return std::nullopt;
        }
        ctx.set_verify_mode(ssl::verify_peer);
    }
    if (identity != nullptr) {
        if (SSL_CTX_use_certificate(native, identity->chain.front().get()) != 1 ||
            SSL_CTX_use_PrivateKey(native, identity->key.get()) != 1) {
            error = "client certificate/key rejected by OpenSSL";
            return std::nullopt;
        }
        for (std::size_t i = 1; i < identity->chain.size(); ++i) {
            X509_up_ref(identity->chain[i].get());
            SSL_CTX_add_extra_chain_cert(native, identity->chain[i].get());
        }
    }
    return ctx;
}

using Stream = ssl::stream<tcp::socket>;

// Per-connection SNI and name verification.
void prepare_ssl(Stream& stream, const Target& target, bool verify) {
    SSL* ssl = stream.native_handle();
    if (!target.url.host_is_ip) {
        SSL_set_tlsext_host_name(ssl, target.url.host.c_str());
    }
    if (verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (target.url.host_is_ip) {
            X509_VERIFY_PARAM_set1_ip_asc(param, target.url.host.c_str());
        } else {
            X509_VERIFY_PARAM_set1_host(param, target.url.host.c_str(), 0);
        }
    }
}

// --------------------------------------------------------------- the run

struct Shared {
    const Options& opts;
    const Target& target;
    ssl::context& tls;
    Clock::time_point deadline;
    std::atomic<std::int64_t> budget{0};  // remaining requests when --requests
    std::atomic<std::uint64_t> next_csr{0};

    bool take_one() {
        if (opts.requests > 0) {
            return budget.fetch_sub(1, std::memory_order_relaxed) > 0;
        }
        return Clock::now() < deadline;
    }
};

// The watchdog closes a client's socket when a step overruns --timeout; the
// state is shared with the timer handler so a late handler is harmless.
struct ClientState {
    std::unique_ptr<Stream> stream;
    std::uint64_t generation = 0;
    bool fired = false;
};

class Watchdog {
  public:
    Watchdog(asio::any_io_executor ex, std::shared_ptr<ClientState> state)
        : timer_(std::move(ex)), state_(std::move(state)) {}
    void arm(Clock::duration timeout) {
        state_->fired = false;
        timer_.expires_after(timeout);
        timer_.async_wait([state = state_, generation = state_->generation](const error_code& ec) {
            if (ec || state->generation != generation || !state->stream) {
                return;
            }
            state->fired = true;
            error_code ignored;
            state->stream->lowest_layer().close(ignored);
        });
    }
    void disarm() {
        ++state_->generation;
        timer_.cancel();
    }

  private:
    asio::steady_timer timer_;
    std::shared_ptr<ClientState> state_;
};

std::string ssl_error_text(const error_code& ec) {
    std::string text = ec.message();
    if (ec.category() == asio::error::get_ssl_category()) {
        const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
        if (reason != nullptr) {
            text += std::string(" (") + reason + ")";
        }
    }
    return text;
}

// Whether one certificate of a certs-only answer carries the CSR's key. The
// SubjectPublicKeyInfo bytes are compared first (reading them costs a
// fraction of decoding the keys); a server that encodes the same key
// differently is checked by decoding the certificates.
bool carries_key(const Bytes& der, const std::vector<Bytes>& public_key_infos,
                 const PoolEntry& csr) {
    if (std::ranges::find(public_key_infos, csr.public_key_info) != public_key_infos.end()) {
        return true;
    }
    auto certs = estd::pki::parse_certs_only_der(der);
    return certs && std::ranges::any_of(*certs, [&](const X509Ptr& cert) {
               return estd::pki::same_public_key(X509_get0_pubkey(cert.get()), csr.key.get());
           });
}

// The serial of the certificate in `der` that carries the CSR's key, with
// the time it arrived: what --serials-out writes.
void record_serial(const Bytes& der, const PoolEntry& csr, Stats& stats) {
    auto certs = estd::pki::parse_certs_only_der(der);
    if (!certs) {
        return;
    }
    for (const auto& cert : *certs) {
        if (estd::pki::same_public_key(X509_get0_pubkey(cert.get()), csr.key.get())) {
            const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
            stats.received.push_back(std::to_string(now_ms) + " " +
                                     estd::pki::serial_hex(cert.get()));
            return;
        }
    }
}

// Checks a 200 answer: base64 → certs-only PKCS#7 with at least one
// certificate; for enrollments one of them carries the CSR's public key.
void check_response(const std::string& body, const PoolEntry* csr, Stats& stats,
                    std::uint32_t latency_us, bool record_serials) {
    if (csr == nullptr && !body.empty() && body == stats.last_good_cacerts) {
        ++stats.ok;
        stats.latencies_us.push_back(latency_us);
        return;
    }
    auto der = estd::pki::base64_decode_lenient(body);
    if (!der || der->empty()) {
        stats.error(err_parse, "body is not base64");
        return;
    }
    auto public_key_infos = estd::pki::certs_only_public_key_infos(*der);
    if (!public_key_infos) {
        stats.error(err_parse, public_key_infos.error().message);
        return;
    }
    if (csr != nullptr && !carries_key(*der, *public_key_infos, *csr)) {
        stats.error(err_key_mismatch, "no certificate in the answer carries the CSR's key");
        return;
    }
    if (csr == nullptr) {
        stats.last_good_cacerts = body;
    } else if (record_serials) {
        record_serial(*der, *csr, stats);
    }
    ++stats.ok;
    stats.latencies_us.push_back(latency_us);
}

// One client of the run: its connection (opened again whenever the scenario
// or the server closes it), the watchdog bounding each step, and its stats.
class Client {
  public:
    Client(asio::any_io_executor ex, Shared& shared, Stats& stats)
        : ex_(ex),
          shared_(shared),
          stats_(stats),
          timeout_(std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(shared.opts.timeout))),
          state_(std::make_shared<ClientState>()),
          watchdog_(std::move(ex), state_) {}

    asio::awaitable<void> run() {
        while (shared_.take_one()) {
            const auto start = Clock::now();
            if (!connected_ && !co_await connect()) {
                continue;
            }
            if (shared_.target.scenario->operation == Operation::none) {
                co_await close_and_count(start);
            } else {
                co_await request(start);
            }
        }
        drop();
    }

  private:
    // TCP connect and TLS handshake; false (counted as an error) when either fails.
    asio::awaitable<bool> connect() {
        error_code ec;
        state_->stream = std::make_unique<Stream>(ex_, shared_.tls);
        prepare_ssl(*state_->stream, shared_.target, !shared_.opts.insecure);
        watchdog_.arm(timeout_);
        co_await asio::async_connect(state_->stream->lowest_layer(), shared_.target.endpoints,
                                     asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            stats_.error(state_->fired ? err_timeout : err_connect, "connect: " + ec.message());
            drop();
            co_return false;
        }
        state_->stream->lowest_layer().set_option(tcp::no_delay(true), ec);
        co_await state_->stream->async_handshake(ssl::stream_base::client,
                                                 asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            stats_.error(state_->fired ? err_timeout : err_tls, "handshake: " + ssl_error_text(ec));
            drop();
            co_return false;
        }
        watchdog_.disarm();
        ++stats_.connections;
        connected_ = true;
        co_return true;
    }

    // Handshake only: close_notify, then wait until the server closes too,
    // which proves it processed our Finished.
    asio::awaitable<void> close_and_count(Clock::time_point start) {
        error_code ec;
        watchdog_.arm(timeout_);
        co_await state_->stream->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
        const bool fired = state_->fired;
        drop();
        if (fired) {
            stats_.error(err_timeout, "shutdown timed out");
            co_return;
        }
        ++stats_.ok;
        stats_.latencies_us.push_back(microseconds_since(start));
    }

    asio::awaitable<void> request(Clock::time_point start) {
        const Scenario& scenario = *shared_.target.scenario;
        // Kept-alive connections time the request alone; new-connection
        // scenarios time connect + handshake + request.
        const auto request_start = scenario.new_connection ? start : Clock::now();
        const PoolEntry* csr = scenario.operation == Operation::cacerts ? nullptr : next_csr();
        auto req = make_request(csr);
        http::response_parser<http::string_body> parser;
        parser.body_limit(4 * 1024 * 1024);
        if (!co_await exchange(req, parser)) {
            co_return;
        }
        const auto latency = microseconds_since(request_start);
        auto& res = parser.get();
        if (scenario.new_connection || !res.keep_alive()) {
            drop();
        }
        if (res.result_int() != 200) {
            ++stats_.statuses[res.result_int()];
            stats_.error(err_http_status, "HTTP " + std::to_string(res.result_int()) + ": " +
                                              res.body().substr(0, 200));
            co_return;
        }
        check_response(res.body(), csr, stats_, latency, !shared_.opts.serials_out.empty());
    }

    const PoolEntry* next_csr() {
        const auto& pool = shared_.target.pool;
        return &pool[shared_.next_csr.fetch_add(1, std::memory_order_relaxed) % pool.size()];
    }

    // GET cacerts, or POST the CSR.
    http::request<http::string_body> make_request(const PoolEntry* csr) const {
        const Target& target = shared_.target;
        http::request<http::string_body> req;
        req.version(11);
        req.target(target.target_path);
        req.set(http::field::host, target.url.authority());
        req.set(http::field::user_agent, "estd-bench");
        if (!target.authorization.empty()) {
            req.set(http::field::authorization, target.authorization);
        }
        if (csr == nullptr) {
            req.method(http::verb::get);
        } else {
            req.method(http::verb::post);
            req.set(http::field::content_type, "application/pkcs10");
            req.set("Content-Transfer-Encoding", "base64");
            req.body() = csr->body;
        }
        req.keep_alive(!target.scenario->new_connection);
        req.prepare_payload();
        return req;
    }

    // Writes the request and reads the answer; false (counted as an error,
    // the connection dropped) when either fails.
    asio::awaitable<bool> exchange(http::request<http::string_body>& req,
                                   http::response_parser<http::string_body>& parser) {
        error_code ec;
        watchdog_.arm(timeout_);
        co_await http::async_write(*state_->stream, req,
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            stats_.error(state_->fired ? err_timeout : err_io, "write: " + ec.message());
            drop();
            co_return false;
        }
        co_await http::async_read(*state_->stream, buffer_, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            stats_.error(state_->fired ? err_timeout : err_io, "read: " + ec.message());
            drop();
            co_return false;
        }
        watchdog_.disarm();
        co_return true;
    }

    void drop() {
        watchdog_.disarm();
        if (state_->stream) {
            error_code ignored;
            state_->stream->lowest_layer().close(ignored);
            state_->stream.reset();
        }
        connected_ = false;
        buffer_.clear();
    }

    static std::uint32_t microseconds_since(Clock::time_point start) {
        return static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    }

    asio::any_io_executor ex_;
    Shared& shared_;
    Stats& stats_;
    Clock::duration timeout_;
    std::shared_ptr<ClientState> state_;
    Watchdog watchdog_;
    boost::beast::flat_buffer buffer_;
    bool connected_ = false;
};

asio::awaitable<void> client_loop(Shared& shared, Stats& stats) {
    Client client(co_await asio::this_coro::executor, shared, stats);
    co_await client.run();
}

// ------------------------------------------------------------ idle mode

asio::awaitable<void> idle_opener(Shared& shared, std::atomic<unsigned>& remaining,
                                  std::vector<std::unique_ptr<Stream>>& held, Stats& stats) {
    const auto ex = co_await asio::this_coro::executor;
    const auto timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(shared.opts.timeout));
    auto state = std::make_shared<ClientState>();
    Watchdog watchdog(ex, state);
    error_code ec;
    while (true) {
        unsigned left = remaining.load();
        do {
            if (left == 0) {
                co_return;
            }
        } while (!remaining.compare_exchange_weak(left, left - 1));
        state->stream = std::make_unique<Stream>(ex, shared.tls);
        prepare_ssl(*state->stream, shared.target, !shared.opts.insecure);
        watchdog.arm(timeout);
        co_await asio::async_connect(state->stream->lowest_layer(), shared.target.endpoints,
                                     asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            co_await state->stream->async_handshake(ssl::stream_base::client,
                                                    asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                stats.error(state->fired ? err_timeout : err_tls,
                            "handshake: " + ssl_error_text(ec));
            }
        } else {
            stats.error(state->fired ? err_timeout : err_connect, "connect: " + ec.message());
        }
        watchdog.disarm();
        if (!ec) {
            ++stats.connections;
            held.push_back(std::move(state->stream));
        }
        state->stream.reset();
    }
}

// ------------------------------------------------------------ reporting

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return static_cast<double>(sorted[std::min(index, sorted.size() - 1)]) / 1000.0;
}

// This process's CPU seconds (user + system), to show the load generator
// was not the bottleneck.
double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

unsigned long fd_limit() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    return static_cast<unsigned long>(limit.rlim_cur);
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

void run_io(asio::io_context& io, unsigned threads) {
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) {
        pool.emplace_back([&io] { io.run(); });
    }
    io.run();
    for (auto& t : pool) {
        t.join();
    }
}

// Enrolls one fresh P-256 key (simpleenroll, same profile and credentials)
// to get a certificate to renew with when no --client-cert is given.
std::optional<estd::https::ClientIdentity> bootstrap_identity(const Options& opts,
                                                              const Target& target,
                                                              std::string& error) {
    auto key = make_key("p256");
    if (!key) {
        error = "key generation failed";
        return std::nullopt;
    }
    estd::client::CsrRequest request;
    request.common_name = "estd-bench-renewer";
    request.dns_names = {"estd-bench-renewer.example.com"};
    auto der = estd::client::build_csr(key->get(), request);
    if (!der) {
        error = der.error().message;
        return std::nullopt;
    }
    auto tls = estd::client::connection_options();
    tls.ca_file = opts.cacert;
    tls.insecure = opts.insecure;
    auto connection = estd::https::Connection::open(target.url, tls);
    if (!connection) {
        error = "bootstrap connection: " + connection.error().message;
        return std::nullopt;
    }
    auto path = estd::client::est_path(target.url, opts.profile, "simpleenroll");
    if (!path) {
        error = path.error().message;
        return std::nullopt;
    }
    std::vector<estd::https::HttpHeader> headers{{"Content-Transfer-Encoding", "base64"}};
    if (!target.authorization.empty()) {
        headers.push_back({"Authorization", target.authorization});
    }
    auto res = (*connection)
                   ->send(estd::https::Method::post, *path, "application/pkcs10",
                          estd::pki::base64_encode_lines(*der), headers);
    if (!res || res->status != 200) {
        error =
            "bootstrap enrollment: " +
            (res ? "HTTP " + std::to_string(res->status) + " " + res->body : res.error().message);
        return std::nullopt;
    }
    auto body = estd::pki::base64_decode_lenient(res->body);
    if (!body) {
        error = "bootstrap enrollment: answer is not base64";
        return std::nullopt;
    }
    auto certs = estd::pki::parse_certs_only_der(*body);
    if (!certs || certs->empty()) {
        error = "bootstrap enrollment: answer is not a certs-only PKCS#7";
        return std::nullopt;
    }
    estd::https::ClientIdentity identity;
    identity.chain.push_back(std::move(certs->front()));
    identity.key = std::move(*key);
    return identity;
}

bool resolve_endpoints(Target& target, std::string& error) {
    asio::io_context resolver_io;
    tcp::resolver resolver(resolver_io);
    error_code ec;
    for (const auto& entry : resolver.resolve(target.url.host, target.url.port, ec)) {
        target.endpoints.push_back(entry.endpoint());
    }
    if (ec || target.endpoints.empty()) {
        error = "cannot resolve " + target.url.host + ": " + ec.message();
        return false;
    }
    return true;
}

// The Basic Authorization header value, when --user is given.
bool read_authorization(const Options& opts, Target& target, std::string& error) {
    if (opts.user.empty()) {
        return true;
    }
    std::ifstream in(opts.password_file);
    std::string password;
    if (!in || !std::getline(in, password)) {
        error = "cannot read --password-file " + opts.password_file;
        return false;
    }
    password = trim(password);
    const std::string credentials = opts.user + ":" + password;
    target.authorization = "Basic " + estd::pki::base64_encode_single_line(
                                          Bytes(credentials.begin(), credentials.end()));
    return true;
}

bool set_request_target(const Options& opts, Target& target, std::string& error) {
    const Operation operation = target.scenario->operation;
    if (operation == Operation::none) {
        return true;
    }
    const char* name = operation == Operation::cacerts        ? "cacerts"
                       : operation == Operation::simpleenroll ? "simpleenroll"
                                                              : "simplereenroll";
    auto path = estd::client::est_path(target.url, opts.profile, name);
    if (!path) {
        error = path.error().message;
        return false;
    }
    target.target_path = *path;
    return true;
}

// What a run needs to know of the server before it starts: the scenario,
// the URL and its addresses, the credentials and the request target. False
// (`error` saying why) when the options do not describe one.
bool make_target(const Options& opts, Target& target, std::string& error) {
    target.scenario = find_scenario(opts.scenario_name);
    if (target.scenario == nullptr) {
        error = "unknown scenario " + opts.scenario_name;
        return false;
    }
    auto url = estd::client::parse_server_url(opts.url);
    if (!url) {
        error = "--url: " + url.error().message;
        return false;
    }
    target.url = *url;
    return resolve_endpoints(target, error) && read_authorization(opts, target, error) &&
           set_request_target(opts, target, error);
}

// The client identity: given, or bootstrapped for renewals; null when the
// scenario needs none.
bool make_identity(const Options& opts, const Target& target,
                   std::shared_ptr<estd::https::ClientIdentity>& identity, std::string& error) {
    if (!opts.client_cert.empty()) {
        auto loaded = estd::https::load_client_identity(opts.client_cert, opts.client_key);
        if (!loaded) {
            error = loaded.error().message;
            return false;
        }
        identity = std::make_shared<estd::https::ClientIdentity>(std::move(*loaded));
    } else if (target.scenario->operation == Operation::simplereenroll) {
        auto boot = bootstrap_identity(opts, target, error);
        if (!boot) {
            return false;
        }
        identity = std::make_shared<estd::https::ClientIdentity>(std::move(*boot));
    }
    return true;
}

bool enrolls(const Scenario& scenario) {
    return scenario.operation == Operation::simpleenroll ||
           scenario.operation == Operation::simplereenroll;
}

// The CSR pool, made before the clock starts.
bool fill_pool(const Options& opts, const estd::https::ClientIdentity* identity, Target& target,
               std::string& error) {
    if (!enrolls(*target.scenario) || opts.idle_connections != 0) {
        return true;
    }
    const unsigned size =
        opts.pool_size != 0 ? opts.pool_size : (opts.key_type == "rsa2048" ? 16U : 64U);
    auto pool = make_pool(opts.key_type, size,
                          target.scenario->operation == Operation::simplereenroll
                              ? identity->chain.front().get()
                              : nullptr,
                          error);
    if (!pool) {
        error = "CSR pool: " + error;
        return false;
    }
    target.pool = std::move(*pool);
    return true;
}

// The JSON fields every run reports.
nlohmann::json run_description(const Options& opts, unsigned threads) {
    nlohmann::json out;
    out["tool"] = "estd-bench";
    if (!opts.label.empty()) {
        out["label"] = opts.label;
    }
    out["url"] = opts.url;
    out["profile"] = opts.profile;
    out["tls"] = opts.tls;
    out["client_threads"] = threads;
    return out;
}

// Runs one coroutine per worker, each on its own strand, until all are done.
template <class Spawn>
std::vector<Stats> run_workers(asio::io_context& io, unsigned threads, unsigned workers,
                               Spawn spawn) {
    std::vector<Stats> stats(workers);
    for (unsigned i = 0; i < workers; ++i) {
        asio::co_spawn(asio::make_strand(io), spawn(i, stats[i]), asio::detached);
    }
    run_io(io, threads);
    return stats;
}

Stats merged(std::vector<Stats>&& stats) {
    Stats total;
    for (auto& s : stats) {
        total.merge(std::move(s));
    }
    return total;
}

// "errors" (a count per kind) and "error_samples" (the first message of each).
nlohmann::json error_counts(const Stats& total, nlohmann::json& out) {
    nlohmann::json errors;
    for (std::size_t i = 0; i < err_count; ++i) {
        errors[kErrorNames[i]] = total.errors[i];
        if (!total.sample[i].empty()) {
            out["error_samples"][kErrorNames[i]] = total.sample[i];
        }
    }
    return errors;
}

void print_errors(const Stats& total) {
    for (std::size_t i = 0; i < err_count; ++i) {
        if (total.errors[i] != 0) {
            std::printf("  %-13s %llu  e.g. %s\n", kErrorNames[i],
                        static_cast<unsigned long long>(total.errors[i]), total.sample[i].c_str());
        }
    }
}

void write_json_out(const Options& opts, const nlohmann::json& out) {
    if (!opts.json_out.empty()) {
        std::ofstream(opts.json_out) << out.dump(2) << "\n";
    }
}

// ------------------------------------------------------- idle-mode run

void report_idle(const Options& opts, const Stats& total, double open_seconds,
                 const ServerSample& before, const ServerSample& after, bool reset,
                 nlohmann::json& out) {
    out["mode"] = "idle-connections";
    out["requested"] = opts.idle_connections;
    out["open"] = total.connections;
    out["open_seconds"] = open_seconds;
    out["hold_seconds"] = opts.hold;
    out["client_fd_limit"] = fd_limit();
    out["errors"] = error_counts(total, out);
    if (after.valid) {
        out["server"] = {{"pid", opts.server_pid},
                         {"rss_before_mb", static_cast<double>(before.rss_kb) / 1024.0},
                         {"rss_mb", static_cast<double>(after.rss_kb) / 1024.0},
                         {"peak_rss_mb", static_cast<double>(after.hwm_kb) / 1024.0},
                         {"peak_reset_at_start", reset}};
    }
    if (opts.json) {
        std::cout << out.dump(2) << "\n";
    } else {
        std::printf("idle connections: %llu open of %u requested in %.1f s (errors %llu)\n",
                    static_cast<unsigned long long>(total.connections), opts.idle_connections,
                    open_seconds, static_cast<unsigned long long>(total.error_total()));
        print_errors(total);
        if (after.valid) {
            std::printf(
                "server RSS: %.1f MB before, %.1f MB with the connections open, "
                "peak %.1f MB\n",
                static_cast<double>(before.rss_kb) / 1024.0,
                static_cast<double>(after.rss_kb) / 1024.0,
                static_cast<double>(after.hwm_kb) / 1024.0);
        }
    }
    write_json_out(opts, out);
}

// Idle mode: open N TLS connections, hold them, sample the server.
int run_idle(const Options& opts, Shared& shared, asio::io_context& io, unsigned threads,
             nlohmann::json out) {
    const auto before = sample_server(opts.server_pid);
    const bool reset = reset_peak_rss(opts.server_pid);
    std::atomic<unsigned> remaining{opts.idle_connections};
    const unsigned workers = std::max(1U, std::min(opts.concurrency, opts.idle_connections));
    std::vector<std::vector<std::unique_ptr<Stream>>> held(workers);
    const auto start = Clock::now();
    auto stats = run_workers(io, threads, workers, [&](unsigned i, Stats& worker_stats) {
        return idle_opener(shared, remaining, held[i], worker_stats);
    });
    const double open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const Stats total = merged(std::move(stats));
    std::this_thread::sleep_for(std::chrono::duration<double>(opts.hold));
    const auto after = sample_server(opts.server_pid);
    report_idle(opts, total, open_seconds, before, after, reset, out);
    for (auto& h : held) {
        h.clear();
    }
    return total.connections == opts.idle_connections ? 0 : 1;
}

// ------------------------------------------------------- request-mode run

// What a request-mode run measured, beside the merged stats.
struct Measurement {
    double elapsed = 0;     // seconds
    double client_cpu = 0;  // this process's CPU seconds during the run
    ServerSample before;
    ServerSample after;
    bool reset = false;  // whether the server's peak RSS was reset at the start
};

void fill_request_json(const Options& opts, const Target& target, double pool_seconds,
                       const Stats& total, const Measurement& m, nlohmann::json& out) {
    const double rps = m.elapsed > 0 ? static_cast<double>(total.ok) / m.elapsed : 0;
    out["scenario"] = target.scenario->name;
    out["concurrency"] = opts.concurrency;
    out["key_type"] = enrolls(*target.scenario) ? opts.key_type : "";
    out["csr_pool"] = target.pool.size();
    out["csr_pool_seconds"] = pool_seconds;
    out["seconds"] = m.elapsed;
    out["requests_ok"] = total.ok;
    out["requests_per_second"] = rps;
    out["connections"] = total.connections;
    out["client_cpu_seconds"] = m.client_cpu;
    out["latency_ms"] = {{"p50", percentile(total.latencies_us, 0.50)},
                         {"p90", percentile(total.latencies_us, 0.90)},
                         {"p99", percentile(total.latencies_us, 0.99)},
                         {"max", percentile(total.latencies_us, 1.0)}};
    nlohmann::json errors = error_counts(total, out);
    errors["total"] = total.error_total();
    out["errors"] = errors;
    for (const auto& [status, n] : total.statuses) {
        out["http_statuses"][std::to_string(status)] = n;
    }
    if (m.after.valid && m.before.valid) {
        const double cpu = m.after.cpu_seconds - m.before.cpu_seconds;
        out["server"] = {
            {"pid", opts.server_pid},
            {"cpu_seconds", cpu},
            {"cpu_ms_per_request", total.ok ? cpu * 1000.0 / static_cast<double>(total.ok) : 0.0},
            {"cpu_cores_used", m.elapsed > 0 ? cpu / m.elapsed : 0.0},
            {"peak_rss_mb", static_cast<double>(m.after.hwm_kb) / 1024.0},
            {"rss_mb", static_cast<double>(m.after.rss_kb) / 1024.0},
            {"peak_reset_at_start", m.reset}};
    }
}

// The table line and the error lines under it.
void print_request_line(const Options& opts, const Scenario& scenario, const Stats& total,
                        const Measurement& m) {
    const double rps = m.elapsed > 0 ? static_cast<double>(total.ok) / m.elapsed : 0;
    std::printf(
        "%-24s conc %4u  %9.1f req/s  p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f ms"
        "  ok %llu  errors %llu",
        scenario.name, opts.concurrency, rps, percentile(total.latencies_us, 0.50),
        percentile(total.latencies_us, 0.90), percentile(total.latencies_us, 0.99),
        percentile(total.latencies_us, 1.0), static_cast<unsigned long long>(total.ok),
        static_cast<unsigned long long>(total.error_total()));
    if (m.after.valid && m.before.valid) {
        std::printf("  server cpu %.2f s (%.3f ms/req)  peak RSS %.1f MB",
                    m.after.cpu_seconds - m.before.cpu_seconds,
                    total.ok ? (m.after.cpu_seconds - m.before.cpu_seconds) * 1000.0 /
                                   static_cast<double>(total.ok)
                             : 0.0,
                    static_cast<double>(m.after.hwm_kb) / 1024.0);
    }
    std::printf("\n");
    print_errors(total);
}

// --serials-out, in arrival order (equal-width millisecond stamps sort as text).
void write_serials(const Options& opts, Stats& total) {
    if (opts.serials_out.empty()) {
        return;
    }
    std::sort(total.received.begin(), total.received.end());
    std::ofstream serials(opts.serials_out);
    for (const auto& line : total.received) {
        serials << line << "\n";
    }
}

// Request mode: --concurrency clients until the duration or the request
// budget is spent, then the figures.
int run_requests(const Options& opts, Shared& shared, asio::io_context& io, unsigned threads,
                 double pool_seconds, nlohmann::json out) {
    Measurement m;
    m.before = sample_server(opts.server_pid);
    m.reset = reset_peak_rss(opts.server_pid);
    const double client_cpu_before = own_cpu_seconds();
    const auto start = Clock::now();
    shared.deadline =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(opts.requests > 0 ? 1e9 : opts.duration));
    auto stats = run_workers(io, threads, opts.concurrency, [&](unsigned, Stats& worker_stats) {
        return client_loop(shared, worker_stats);
    });
    m.elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    m.after = sample_server(opts.server_pid);
    m.client_cpu = own_cpu_seconds() - client_cpu_before;
    Stats total = merged(std::move(stats));
    std::sort(total.latencies_us.begin(), total.latencies_us.end());

    fill_request_json(opts, shared.target, pool_seconds, total, m, out);
    if (opts.json) {
        std::cout << out.dump(2) << "\n";
    } else {
        print_request_line(opts, *shared.target.scenario, total, m);
    }
    write_json_out(opts, out);
    write_serials(opts, total);
    return total.error_total() == 0 && total.ok > 0 ? 0 : 1;
}

int run(const Options& opts) {
    raise_fd_limit();
    Target target;
    std::shared_ptr<estd::https::ClientIdentity> identity;
    std::string error;
    if (!make_target(opts, target, error) || !make_identity(opts, target, identity, error)) {
        std::cerr << "estd-bench: " << error << "\n";
        return 2;
    }
    const auto pool_start = Clock::now();
    if (!fill_pool(opts, identity.get(), target, error)) {
        std::cerr << "estd-bench: " << error << "\n";
        return 2;
    }
    const double pool_seconds = std::chrono::duration<double>(Clock::now() - pool_start).count();
    auto tls = make_tls_context(opts, identity.get(), error);
    if (!tls) {
        std::cerr << "estd-bench: " << error << "\n";
        return 2;
    }

    asio::io_context io(static_cast<int>(opts.threads));
    Shared shared{opts, target, *tls, {}, {}, {}};
    shared.budget = static_cast<std::int64_t>(opts.requests);
    const unsigned threads = std::max(1U, opts.threads);
    nlohmann::json out = run_description(opts, threads);
    if (opts.idle_connections > 0) {
        return run_idle(opts, shared, io, threads, std::move(out));
    }
    return run_requests(opts, shared, io, threads, pool_seconds, std::move(out));
}

}  // namespace

int main(int argc, char** argv) {
    Options opts;
    CLI::App app{"estd-bench: an asynchronous load generator for any RFC 7030 (EST) server"};
    std::string scenarios;
    for (const auto& s : kScenarios) {
        scenarios += std::string("\n  ") + s.name + ": " + s.meaning;
    }
    app.footer("Scenarios:" + scenarios +
               "\nExit status: 0 when every request succeeded, 1 when any failed, 2 on bad "
               "usage.");
    app.add_option("--url", opts.url, "server base URL, https://host:port")->required();
    app.add_option("--profile", opts.profile, "EST profile path segment (empty: the default)");
    app.add_option("--scenario", opts.scenario_name, "what each request does (see below)");
    app.add_option("--concurrency,-c", opts.concurrency, "concurrent clients")
        ->check(CLI::Range(1U, 100000U));
    auto* duration = app.add_option("--duration,-d", opts.duration, "seconds to run");
    app.add_option("--requests,-n", opts.requests, "total requests instead of a duration")
        ->excludes(duration);
    app.add_option("--user", opts.user, "HTTP Basic user name");
    app.add_option("--password-file", opts.password_file, "file holding the Basic password");
    app.add_option("--tls", opts.tls, "TLS version, 1.2 or 1.3")
        ->check(CLI::IsMember({"1.2", "1.3"}));
    app.add_option("--cacert", opts.cacert, "PEM trust anchors for the server certificate");
    app.add_flag("--insecure,-k", opts.insecure, "do not verify the server certificate");
    app.add_option("--client-cert", opts.client_cert, "PEM client certificate (mTLS, renewal)");
    app.add_option("--client-key", opts.client_key, "PEM client key");
    app.add_option("--key-type", opts.key_type, "CSR key type, p256 or rsa2048")
        ->check(CLI::IsMember({"p256", "rsa2048"}));
    app.add_option("--pool-size", opts.pool_size, "CSRs made before the run (64 P-256, 16 RSA)");
    app.add_option("--threads", opts.threads, "client threads on the one io_context")
        ->check(CLI::Range(1U, 64U));
    app.add_option("--timeout", opts.timeout, "seconds allowed for each step");
    app.add_option("--server-pid", opts.server_pid,
                   "the server's PID: report its CPU seconds and peak RSS");
    app.add_flag("--json", opts.json, "print JSON instead of a table line");
    app.add_option("--json-out", opts.json_out, "also write the JSON result to this file");
    app.add_option("--idle-connections", opts.idle_connections,
                   "open this many TLS connections (--concurrency at a time) and hold them");
    app.add_option("--hold", opts.hold, "idle mode: seconds to hold the connections");
    app.add_option("--label", opts.label, "free text copied into the JSON");
    app.add_option("--serials-out", opts.serials_out,
                   "enrollments: write each certificate received as \"<Unix ms> <serial hex>\", "
                   "one per line");
    CLI11_PARSE(app, argc, argv);
    if (!opts.user.empty() && opts.password_file.empty()) {
        std::cerr << "estd-bench: --user needs --password-file\n";
        return 2;
    }
    if (opts.client_cert.empty() != opts.client_key.empty()) {
        std::cerr << "estd-bench: --client-cert and --client-key go together\n";
        return 2;
    }
    try {
        return run(opts);
    } catch (const std::exception& e) {
        std::cerr << "estd-bench: " << e.what() << "\n";
        return 2;
    }
}
