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

#include "estd/client/csr_builder.hpp"
#include "estd/client/https_client.hpp"
#include "estd/client/url.hpp"
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
                                             const estd::client::ClientIdentity* identity,
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

asio::awaitable<void> client_loop(Shared& shared, Stats& stats) {
    const auto ex = co_await asio::this_coro::executor;
    const Options& opts = shared.opts;
    const Target& target = shared.target;
    const Scenario& scenario = *target.scenario;
    const auto timeout =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.timeout));
    auto state = std::make_shared<ClientState>();
    Watchdog watchdog(ex, state);
    boost::beast::flat_buffer buffer;
    bool connected = false;
    error_code ec;

    const auto drop = [&] {
        watchdog.disarm();
        if (state->stream) {
            error_code ignored;
            state->stream->lowest_layer().close(ignored);
            state->stream.reset();
        }
        connected = false;
        buffer.clear();
    };

    while (shared.take_one()) {
        const auto start = Clock::now();
        if (!connected) {
            state->stream = std::make_unique<Stream>(ex, shared.tls);
            prepare_ssl(*state->stream, target, !opts.insecure);
            watchdog.arm(timeout);
            co_await asio::async_connect(state->stream->lowest_layer(), target.endpoints,
                                         asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                stats.error(state->fired ? err_timeout : err_connect, "connect: " + ec.message());
                drop();
                continue;
            }
            state->stream->lowest_layer().set_option(tcp::no_delay(true), ec);
            co_await state->stream->async_handshake(ssl::stream_base::client,
                                                    asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                stats.error(state->fired ? err_timeout : err_tls,
                            "handshake: " + ssl_error_text(ec));
                drop();
                continue;
            }
            watchdog.disarm();
            ++stats.connections;
            connected = true;
        }

        if (scenario.operation == Operation::none) {
            // Handshake only: close_notify, then wait until the server closes
            // too, which proves it processed our Finished.
            watchdog.arm(timeout);
            co_await state->stream->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
            const bool fired = state->fired;
            drop();
            if (fired) {
                stats.error(err_timeout, "shutdown timed out");
                continue;
            }
            ++stats.ok;
            stats.latencies_us.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start)
                    .count()));
            continue;
        }

        // Kept-alive connections time the request alone; new-connection
        // scenarios time connect + handshake + request.
        const auto request_start = scenario.new_connection ? start : Clock::now();
        const PoolEntry* csr = nullptr;
        http::request<http::string_body> req;
        req.version(11);
        req.target(target.target_path);
        req.set(http::field::host, target.url.authority());
        req.set(http::field::user_agent, "estd-bench");
        if (!target.authorization.empty()) {
            req.set(http::field::authorization, target.authorization);
        }
        if (scenario.operation == Operation::cacerts) {
            req.method(http::verb::get);
        } else {
            csr = &target.pool[shared.next_csr.fetch_add(1, std::memory_order_relaxed) %
                               target.pool.size()];
            req.method(http::verb::post);
            req.set(http::field::content_type, "application/pkcs10");
            req.set("Content-Transfer-Encoding", "base64");
            req.body() = csr->body;
        }
        req.keep_alive(!scenario.new_connection);
        req.prepare_payload();

        watchdog.arm(timeout);
        co_await http::async_write(*state->stream, req,
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            stats.error(state->fired ? err_timeout : err_io, "write: " + ec.message());
            drop();
            continue;
        }
        http::response_parser<http::string_body> parser;
        parser.body_limit(4 * 1024 * 1024);
        co_await http::async_read(*state->stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            stats.error(state->fired ? err_timeout : err_io, "read: " + ec.message());
            drop();
            continue;
        }
        watchdog.disarm();
        const auto latency = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - request_start)
                .count());
        auto& res = parser.get();
        if (scenario.new_connection || !res.keep_alive()) {
            drop();
        }
        if (res.result_int() != 200) {
            ++stats.statuses[res.result_int()];
            stats.error(err_http_status, "HTTP " + std::to_string(res.result_int()) + ": " +
                                             res.body().substr(0, 200));
            continue;
        }
        check_response(res.body(), csr, stats, latency, !opts.serials_out.empty());
    }
    drop();
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
std::optional<estd::client::ClientIdentity> bootstrap_identity(const Options& opts,
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
    estd::client::TlsOptions tls;
    tls.ca_file = opts.cacert;
    tls.insecure = opts.insecure;
    auto connection = estd::client::HttpsConnection::open(target.url, tls);
    if (!connection) {
        error = "bootstrap connection: " + connection.error().message;
        return std::nullopt;
    }
    auto path = estd::client::est_path(target.url, opts.profile, "simpleenroll");
    if (!path) {
        error = path.error().message;
        return std::nullopt;
    }
    std::vector<estd::client::HttpHeader> headers{{"Content-Transfer-Encoding", "base64"}};
    if (!target.authorization.empty()) {
        headers.push_back({"Authorization", target.authorization});
    }
    auto res = (*connection)
                   ->send(estd::client::Method::post, *path, "application/pkcs10",
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
    estd::client::ClientIdentity identity;
    identity.chain.push_back(std::move(certs->front()));
    identity.key = std::move(*key);
    return identity;
}

int run(const Options& opts) {
    raise_fd_limit();
    Target target;
    target.scenario = find_scenario(opts.scenario_name);
    if (target.scenario == nullptr) {
        std::cerr << "estd-bench: unknown scenario " << opts.scenario_name << "\n";
        return 2;
    }
    const Scenario& scenario = *target.scenario;
    auto url = estd::client::parse_server_url(opts.url);
    if (!url) {
        std::cerr << "estd-bench: --url: " << url.error().message << "\n";
        return 2;
    }
    target.url = *url;
    {
        asio::io_context resolver_io;
        tcp::resolver resolver(resolver_io);
        error_code ec;
        for (const auto& entry : resolver.resolve(target.url.host, target.url.port, ec)) {
            target.endpoints.push_back(entry.endpoint());
        }
        if (ec || target.endpoints.empty()) {
            std::cerr << "estd-bench: cannot resolve " << target.url.host << ": " << ec.message()
                      << "\n";
            return 2;
        }
    }
    if (!opts.user.empty()) {
        std::ifstream in(opts.password_file);
        std::string password;
        if (!in || !std::getline(in, password)) {
            std::cerr << "estd-bench: cannot read --password-file " << opts.password_file << "\n";
            return 2;
        }
        password = trim(password);
        const std::string credentials = opts.user + ":" + password;
        target.authorization = "Basic " + estd::pki::base64_encode_single_line(
                                              Bytes(credentials.begin(), credentials.end()));
    }
    const char* operation = scenario.operation == Operation::cacerts        ? "cacerts"
                            : scenario.operation == Operation::simpleenroll ? "simpleenroll"
                                                                            : "simplereenroll";
    if (scenario.operation != Operation::none) {
        auto path = estd::client::est_path(target.url, opts.profile, operation);
        if (!path) {
            std::cerr << "estd-bench: " << path.error().message << "\n";
            return 2;
        }
        target.target_path = *path;
    }

    // The client identity: given, or bootstrapped for renewals.
    std::shared_ptr<estd::client::ClientIdentity> identity;
    if (!opts.client_cert.empty()) {
        auto loaded = estd::client::load_client_identity(opts.client_cert, opts.client_key);
        if (!loaded) {
            std::cerr << "estd-bench: " << loaded.error().message << "\n";
            return 2;
        }
        identity = std::make_shared<estd::client::ClientIdentity>(std::move(*loaded));
    } else if (scenario.operation == Operation::simplereenroll) {
        std::string error;
        auto boot = bootstrap_identity(opts, target, error);
        if (!boot) {
            std::cerr << "estd-bench: " << error << "\n";
            return 2;
        }
        identity = std::make_shared<estd::client::ClientIdentity>(std::move(*boot));
    }

    // The CSR pool, before the clock starts.
    const auto pool_start = Clock::now();
    const bool enrolls = scenario.operation == Operation::simpleenroll ||
                         scenario.operation == Operation::simplereenroll;
    if (enrolls && opts.idle_connections == 0) {
        const unsigned size =
            opts.pool_size != 0 ? opts.pool_size : (opts.key_type == "rsa2048" ? 16U : 64U);
        std::string error;
        auto pool = make_pool(opts.key_type, size,
                              scenario.operation == Operation::simplereenroll
                                  ? identity->chain.front().get()
                                  : nullptr,
                              error);
        if (!pool) {
            std::cerr << "estd-bench: CSR pool: " << error << "\n";
            return 2;
        }
        target.pool = std::move(*pool);
    }
    const double pool_seconds = std::chrono::duration<double>(Clock::now() - pool_start).count();

    std::string error;
    auto tls = make_tls_context(opts, identity.get(), error);
    if (!tls) {
        std::cerr << "estd-bench: " << error << "\n";
        return 2;
    }

    asio::io_context io(static_cast<int>(opts.threads));
    Shared shared{opts, target, *tls, {}, {}, {}};
    shared.budget = static_cast<std::int64_t>(opts.requests);
    const unsigned threads = std::max(1U, opts.threads);
    nlohmann::json out;
    out["tool"] = "estd-bench";
    if (!opts.label.empty()) {
        out["label"] = opts.label;
    }
    out["url"] = opts.url;
    out["profile"] = opts.profile;
    out["tls"] = opts.tls;
    out["client_threads"] = threads;

    if (opts.idle_connections > 0) {
        // Idle mode: open N TLS connections, hold them, sample the server.
        const auto before = sample_server(opts.server_pid);
        const bool reset = reset_peak_rss(opts.server_pid);
        std::atomic<unsigned> remaining{opts.idle_connections};
        const unsigned workers = std::max(1U, std::min(opts.concurrency, opts.idle_connections));
        std::vector<std::vector<std::unique_ptr<Stream>>> held(workers);
        std::vector<Stats> stats(workers);
        const auto start = Clock::now();
        for (unsigned i = 0; i < workers; ++i) {
            asio::co_spawn(asio::make_strand(io), idle_opener(shared, remaining, held[i], stats[i]),
                           asio::detached);
        }
        run_io(io, threads);
        const double open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        Stats total;
        for (auto& s : stats) {
            total.merge(std::move(s));
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(opts.hold));
        const auto after = sample_server(opts.server_pid);
        out["mode"] = "idle-connections";
        out["requested"] = opts.idle_connections;
        out["open"] = total.connections;
        out["open_seconds"] = open_seconds;
        out["hold_seconds"] = opts.hold;
        out["client_fd_limit"] = fd_limit();
        nlohmann::json errors;
        for (std::size_t i = 0; i < err_count; ++i) {
            errors[kErrorNames[i]] = total.errors[i];
            if (!total.sample[i].empty()) {
                out["error_samples"][kErrorNames[i]] = total.sample[i];
            }
        }
        out["errors"] = errors;
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
            for (std::size_t i = 0; i < err_count; ++i) {
                if (total.errors[i] != 0) {
                    std::printf("  %-13s %llu  e.g. %s\n", kErrorNames[i],
                                static_cast<unsigned long long>(total.errors[i]),
                                total.sample[i].c_str());
                }
            }
            if (after.valid) {
                std::printf(
                    "server RSS: %.1f MB before, %.1f MB with the connections open, "
                    "peak %.1f MB\n",
                    static_cast<double>(before.rss_kb) / 1024.0,
                    static_cast<double>(after.rss_kb) / 1024.0,
                    static_cast<double>(after.hwm_kb) / 1024.0);
            }
        }
        if (!opts.json_out.empty()) {
            std::ofstream(opts.json_out) << out.dump(2) << "\n";
        }
        for (auto& h : held) {
            h.clear();
        }
        return total.connections == opts.idle_connections ? 0 : 1;
    }

    std::vector<Stats> stats(opts.concurrency);
    const auto before = sample_server(opts.server_pid);
    const bool reset = reset_peak_rss(opts.server_pid);
    const double client_cpu_before = own_cpu_seconds();
    const auto start = Clock::now();
    shared.deadline =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(opts.requests > 0 ? 1e9 : opts.duration));
    for (unsigned i = 0; i < opts.concurrency; ++i) {
        asio::co_spawn(asio::make_strand(io), client_loop(shared, stats[i]), asio::detached);
    }
    run_io(io, threads);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto after = sample_server(opts.server_pid);
    const double client_cpu = own_cpu_seconds() - client_cpu_before;

    Stats total;
    for (auto& s : stats) {
        total.merge(std::move(s));
    }
    std::sort(total.latencies_us.begin(), total.latencies_us.end());
    const double rps = elapsed > 0 ? static_cast<double>(total.ok) / elapsed : 0;

    out["scenario"] = scenario.name;
    out["concurrency"] = opts.concurrency;
    out["key_type"] = enrolls ? opts.key_type : "";
    out["csr_pool"] = target.pool.size();
    out["csr_pool_seconds"] = pool_seconds;
    out["seconds"] = elapsed;
    out["requests_ok"] = total.ok;
    out["requests_per_second"] = rps;
    out["connections"] = total.connections;
    out["client_cpu_seconds"] = client_cpu;
    out["latency_ms"] = {{"p50", percentile(total.latencies_us, 0.50)},
                         {"p90", percentile(total.latencies_us, 0.90)},
                         {"p99", percentile(total.latencies_us, 0.99)},
                         {"max", percentile(total.latencies_us, 1.0)}};
    nlohmann::json errors;
    for (std::size_t i = 0; i < err_count; ++i) {
        errors[kErrorNames[i]] = total.errors[i];
        if (!total.sample[i].empty()) {
            out["error_samples"][kErrorNames[i]] = total.sample[i];
        }
    }
    errors["total"] = total.error_total();
    out["errors"] = errors;
    for (const auto& [status, n] : total.statuses) {
        out["http_statuses"][std::to_string(status)] = n;
    }
    if (after.valid && before.valid) {
        const double cpu = after.cpu_seconds - before.cpu_seconds;
        out["server"] = {
            {"pid", opts.server_pid},
            {"cpu_seconds", cpu},
            {"cpu_ms_per_request", total.ok ? cpu * 1000.0 / static_cast<double>(total.ok) : 0.0},
            {"cpu_cores_used", elapsed > 0 ? cpu / elapsed : 0.0},
            {"peak_rss_mb", static_cast<double>(after.hwm_kb) / 1024.0},
            {"rss_mb", static_cast<double>(after.rss_kb) / 1024.0},
            {"peak_reset_at_start", reset}};
    }

    if (opts.json) {
        std::cout << out.dump(2) << "\n";
    } else {
        std::printf(
            "%-24s conc %4u  %9.1f req/s  p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f ms"
            "  ok %llu  errors %llu",
            scenario.name, opts.concurrency, rps, percentile(total.latencies_us, 0.50),
            percentile(total.latencies_us, 0.90), percentile(total.latencies_us, 0.99),
            percentile(total.latencies_us, 1.0), static_cast<unsigned long long>(total.ok),
            static_cast<unsigned long long>(total.error_total()));
        if (after.valid && before.valid) {
            std::printf("  server cpu %.2f s (%.3f ms/req)  peak RSS %.1f MB",
                        after.cpu_seconds - before.cpu_seconds,
                        total.ok ? (after.cpu_seconds - before.cpu_seconds) * 1000.0 /
                                       static_cast<double>(total.ok)
                                 : 0.0,
                        static_cast<double>(after.hwm_kb) / 1024.0);
        }
        std::printf("\n");
        for (std::size_t i = 0; i < err_count; ++i) {
            if (total.errors[i] != 0) {
                std::printf("  %-13s %llu  e.g. %s\n", kErrorNames[i],
                            static_cast<unsigned long long>(total.errors[i]),
                            total.sample[i].c_str());
            }
        }
    }
    if (!opts.json_out.empty()) {
        std::ofstream(opts.json_out) << out.dump(2) << "\n";
    }
    if (!opts.serials_out.empty()) {
        // In arrival order (equal-width millisecond stamps sort as text).
        std::sort(total.received.begin(), total.received.end());
        std::ofstream serials(opts.serials_out);
        for (const auto& line : total.received) {
            serials << line << "\n";
        }
    }
    return total.error_total() == 0 && total.ok > 0 ? 0 : 1;
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
