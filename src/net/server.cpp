#include "estd/net/server.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <exception>
#include <malloc.h>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "connection_registry.hpp"
#include "estd/net/tls_context.hpp"
#include "session.hpp"

namespace estd::net {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// How long stop() waits for in-flight requests before abandoning them.
constexpr auto kDrainTimeout = 10s;
constexpr auto kDrainPollInterval = 50ms;
// Upper bound on waiting for a peer's close_notify after our last response.
constexpr auto kLingerTimeout = 3s;
// Pause after a failed accept (e.g. out of file descriptors) so the loop
// does not spin.
constexpr auto kAcceptRetryDelay = 100ms;
constexpr auto kRejectLogInterval = 10s;
// A connection's TLS state and buffers are freed when it closes, but glibc
// keeps the freed pages (about 20 KiB a connection, measured over bursts of
// 1 500; see docs/security.md, "Memory") for reuse instead of returning them.
// After at least kTrimAfterClosed connections closed, the next check hands
// them back (malloc_trim).
constexpr auto kTrimInterval = 5s;
constexpr std::uint64_t kTrimAfterClosed = 256;

std::vector<std::unique_ptr<asio::io_context>> make_io_contexts(unsigned count) {
    std::vector<std::unique_ptr<asio::io_context>> io_contexts;
    io_contexts.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
        io_contexts.push_back(std::make_unique<asio::io_context>(1));
    }
    return io_contexts;
}

unsigned thread_count(unsigned configured) {
    if (configured != 0) {
        return configured;
    }
    return std::max(1U, std::thread::hardware_concurrency());
}

// Workers spend much of a request waiting (a commit's fdatasync, an HSM), and
// requests waiting together share one commit: the more may wait at once, the
// fewer commits (and fsyncs) per enrollment. 16 per I/O thread rather than
// 4: on two cores, CPU per kept-alive enrollment -7% at 16 clients and -26%
// at 256 (docs/performance.md); an idle worker costs a stack, not CPU.
unsigned worker_count(unsigned configured, unsigned io_threads) {
    return configured != 0 ? configured : 16 * io_threads;
}

// Zero would make every read time out at once; a listener without timeouts
// is not on offer.
std::chrono::steady_clock::duration at_least_one_second(std::chrono::seconds value) {
    return std::max<std::chrono::steady_clock::duration>(value, 1s);
}

std::string host_port(const std::string& host, unsigned short port) {
    const bool v6_literal = host.find(':') != std::string::npos;
    return (v6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<tcp::endpoint> resolve_listen_endpoint(const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
    if (!ec) {
        return tcp::endpoint(address, port);
    }
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(
        host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
        return Error::internal("cannot resolve listen host " + host + ": " +
                               (ec ? ec.message() : std::string("no address")));
    }
    return results.begin()->endpoint();
}

}  // namespace

class Server::Impl {
  public:
    Impl(const config::ListenerConfig& listener, DeferringHandler handler,
         AnswersAtOnce answers_at_once)
        : listener_(listener),
          handler_(std::move(handler)),
          answers_at_once_(std::move(answers_at_once)),
          threads_(thread_count(listener.threads)),
          io_contexts_(make_io_contexts(threads_)),
          workers_(worker_count(listener.worker_threads, threads_)),
          control_(asio::make_strand(*io_contexts_.front())),
          acceptor_(control_),
          signals_(control_),
          drain_timer_(control_),
          accept_retry_timer_(control_),
          trim_timer_(control_) {
        settings_.max_header_bytes = listener.max_header_bytes;
        settings_.max_body_bytes = listener.max_body_bytes;
        settings_.read_timeout = at_least_one_second(listener.read_timeout);
        settings_.idle_timeout = at_least_one_second(listener.idle_timeout);
        settings_.linger_timeout =
            std::min<std::chrono::steady_clock::duration>(settings_.read_timeout, kLingerTimeout);
    }

    Status open();
    void run();
    void stop();
    unsigned short port() const { return port_; }
    void on_reload(std::function<void()> hook) { reload_hook_ = std::move(hook); }
    ServerStats stats() const { return registry_.stats(); }

  private:
    void run_io(asio::io_context& io_context);
    void stop_io();
    void wait_for_signal();
    void on_signal(const boost::system::error_code& ec, int signal_number);
    void do_accept();
    void on_accept(const boost::system::error_code& ec, tcp::socket socket);
    void reject(tcp::socket& socket);
    void begin_shutdown();
    void poll_drain();
    void schedule_trim();

    // Sessions borrow the members up to registry_ by reference; the
    // io_contexts are declared after them so they (and any session they still
    // hold) go first.
    config::ListenerConfig listener_;
    DeferringHandler handler_;
    AnswersAtOnce answers_at_once_;
    SessionSettings settings_;
    std::function<void()> reload_hook_;
    std::unique_ptr<asio::ssl::context> tls_;
    ConnectionRegistry registry_;
    std::atomic<bool> stopping_{false};
    unsigned threads_;

    // One io_context per I/O thread, run by that thread alone: a connection
    // lives on one of them, so its handlers never run concurrently (no strand
    // to pass through) and no I/O thread has to wake another to hand it work.
    // On two cores a shared io_context spent ~10% of a cacerts in those
    // wake-ups (docs/performance.md).
    std::vector<std::unique_ptr<asio::io_context>> io_contexts_;
    // After the io_contexts: joined (and any queued request dropped) before the
    // io_context its sessions belong to goes.
    asio::thread_pool workers_;
    // Serialises the acceptor, the signal set and the drain timer.
    asio::strand<asio::io_context::executor_type> control_;
    tcp::acceptor acceptor_;
    asio::signal_set signals_;
    asio::steady_timer drain_timer_;
    asio::steady_timer accept_retry_timer_;
    asio::steady_timer trim_timer_;

    // Touched on control_ only.
    std::size_t next_io_context_ = 0;
    bool shutdown_started_ = false;
    std::chrono::steady_clock::time_point drain_deadline_{};
    std::chrono::steady_clock::time_point last_reject_log_{};
    std::uint64_t rejects_since_log_ = 0;
    std::uint64_t closed_at_last_trim_ = 0;

    // Set by open(), read-only afterwards.
    bool opened_ = false;
    unsigned short port_ = 0;
};

Status Server::Impl::open() {
    if (opened_) {
        return Error::internal("listener is already open");
    }
    auto tls = make_server_tls_context(listener_);
    if (!tls) {
        return std::move(tls).take_error();
    }
    auto endpoint = resolve_listen_endpoint(listener_.host, listener_.port);
    if (!endpoint) {
        return std::move(endpoint).take_error();
    }

    const std::string where = host_port(listener_.host, listener_.port);
    boost::system::error_code ec;
    acceptor_.open(endpoint->protocol(), ec);
    if (!ec) {
        acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec && endpoint->address().is_v6() && endpoint->address().is_unspecified()) {
        // "::" serves IPv4 clients too, whatever the system default.
        acceptor_.set_option(asio::ip::v6_only(false), ec);
    }
    if (!ec) {
        acceptor_.bind(*endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        return Error::internal("cannot listen on " + where + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    tls_ = std::move(tls).value();
    opened_ = true;
    spdlog::info("net: listening on {} (TLS {}+, {} I/O thread(s), {} worker(s))",
                 host_port(listener_.host, port_),
                 listener_.tls_min_version == config::TlsMinVersion::tls1_2 ? "1.2" : "1.3",
                 threads_, worker_count(listener_.worker_threads, threads_));
    return Ok{};
}

void Server::Impl::run() {
    if (!opened_) {
        spdlog::error("net: run() called without a successful open()");
        return;
    }
    // Installed before accepting starts, so a served request implies the
    // signals are handled.
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
    // OpenSSL writes the sockets itself (TlsStream), without MSG_NOSIGNAL: a
    // peer gone mid-write must be an EPIPE for its session, not the end of
    // the process.
    std::signal(SIGPIPE, SIG_IGN);
    asio::post(control_, [this] {
        wait_for_signal();
        if (stopping_.load()) {
            begin_shutdown();
        } else {
            do_accept();
            schedule_trim();
        }
    });

    std::vector<std::thread> workers;
    workers.reserve(threads_ - 1);
    for (unsigned i = 1; i < threads_; ++i) {
        workers.emplace_back([this, i] { run_io(*io_contexts_[i]); });
    }
    run_io(*io_contexts_.front());
    for (auto& worker : workers) {
        worker.join();
    }
    workers_.join();  // a request abandoned by the drain still finishes its handler
    spdlog::info("net: stopped");
}

void Server::Impl::run_io(asio::io_context& io_context) {
    // An I/O thread waits for connections it has none yet; stop_io() ends it.
    const auto keep_running = asio::make_work_guard(io_context);
    for (;;) {
        try {
            io_context.run();
            return;
        } catch (const std::exception& e) {
            // Handlers catch their own errors; this is the last line so one
            // connection cannot take the daemon down.
            spdlog::error("net: unexpected exception in I/O loop: {}", e.what());
        }
    }
}

void Server::Impl::stop_io() {
    for (auto& io_context : io_contexts_) {
        io_context->stop();
    }
}

void Server::Impl::stop() {
    stopping_.store(true, std::memory_order_release);
    asio::post(control_, [this] { begin_shutdown(); });
}

void Server::Impl::wait_for_signal() {
    signals_.async_wait(
        asio::bind_executor(control_, [this](const boost::system::error_code& ec,
                                             int signal_number) { on_signal(ec, signal_number); }));
}

void Server::Impl::on_signal(const boost::system::error_code& ec, int signal_number) {
    if (ec) {
        return;  // cancelled
    }
    if (signal_number == SIGHUP) {
        if (reload_hook_) {
            spdlog::info("net: SIGHUP: reloading");
            // Off the control strand: a slow reload must not delay accepts.
            asio::post(*io_contexts_.back(), [this] {
                try {
                    reload_hook_();
                } catch (const std::exception& e) {
                    spdlog::error("net: reload failed: {}", e.what());
                } catch (...) {
                    spdlog::error("net: reload failed: unknown exception");
                }
            });
        } else {
            spdlog::info("net: SIGHUP ignored: nothing to reload");
        }
        wait_for_signal();
        return;
    }
    if (shutdown_started_) {
        spdlog::warn("net: signal {} during shutdown: stopping now", signal_number);
        stop_io();
        return;
    }
    spdlog::info("net: signal {}: shutting down", signal_number);
    stopping_.store(true, std::memory_order_release);
    begin_shutdown();
    wait_for_signal();  // a second signal cuts the drain short
}

void Server::Impl::do_accept() {
    if (!acceptor_.is_open()) {
        return;
    }
    // Connections go to the I/O threads in turn.
    asio::io_context& io_context = *io_contexts_[next_io_context_];
    next_io_context_ = (next_io_context_ + 1) % io_contexts_.size();
    acceptor_.async_accept(
        io_context, asio::bind_executor(
                        control_, [this](const boost::system::error_code& ec, tcp::socket socket) {
                            on_accept(ec, std::move(socket));
                        }));
}

void Server::Impl::on_accept(const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        return;  // closed by shutdown
    }
    if (ec) {
        spdlog::warn("net: accept failed: {}", ec.message());
        accept_retry_timer_.expires_after(kAcceptRetryDelay);
        accept_retry_timer_.async_wait(
            asio::bind_executor(control_, [this](const boost::system::error_code& timer_ec) {
                if (!timer_ec) {
                    do_accept();
                }
            }));
        return;
    }
    boost::system::error_code ignored;
    if (stopping_.load(std::memory_order_acquire)) {
        socket.close(ignored);
        return;
    }
    // Responses are written whole; don't let Nagle hold back their tail.
    socket.set_option(tcp::no_delay(true), ignored);
    if (registry_.active() >= listener_.max_connections) {
        reject(socket);
    } else {
        try {
            std::make_shared<Session>(
                std::move(socket), tls_->native_handle(), settings_,
                RequestHandling{handler_, answers_at_once_, workers_.get_executor()}, registry_,
                stopping_)
                ->start();
        } catch (const std::exception& e) {
            spdlog::error("net: cannot start a session: {}", e.what());
        }
    }
    do_accept();
}

// Over max_connections: accept and close at once, so the backlog does not
// fill with connections nobody will serve.
void Server::Impl::reject(tcp::socket& socket) {
    registry_.count_rejected();
    ++rejects_since_log_;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_reject_log_ >= kRejectLogInterval) {
        spdlog::warn("net: max_connections ({}) reached: closed {} new connection(s)",
                     listener_.max_connections, rejects_since_log_);
        last_reject_log_ = now;
        rejects_since_log_ = 0;
    }
    boost::system::error_code ignored;
    socket.close(ignored);
}

void Server::Impl::begin_shutdown() {
    if (shutdown_started_) {
        return;
    }
    shutdown_started_ = true;
    stopping_.store(true, std::memory_order_release);
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
    trim_timer_.cancel();
    const auto sessions = registry_.snapshot();
    spdlog::info("net: no longer accepting; draining {} connection(s)", sessions.size());
    for (const auto& session : sessions) {
        session->request_close();
    }
    drain_deadline_ = std::chrono::steady_clock::now() + kDrainTimeout;
    poll_drain();
}

void Server::Impl::schedule_trim() {
    trim_timer_.expires_after(kTrimInterval);
    trim_timer_.async_wait(
        asio::bind_executor(control_, [this](const boost::system::error_code& ec) {
            if (ec || shutdown_started_) {
                return;
            }
            const auto closed = registry_.closed();
            if (closed - closed_at_last_trim_ >= kTrimAfterClosed) {
                closed_at_last_trim_ = closed;
                malloc_trim(0);
            }
            schedule_trim();
        }));
}

// Polling (rather than sessions signalling the last close) keeps session
// destructors free of io_context calls, which matters when they run during
// the io_context's own destruction.
void Server::Impl::poll_drain() {
    const std::size_t active = registry_.active();
    if (active != 0 && std::chrono::steady_clock::now() < drain_deadline_) {
        drain_timer_.expires_after(kDrainPollInterval);
        drain_timer_.async_wait(
            asio::bind_executor(control_, [this](const boost::system::error_code& ec) {
                if (!ec) {
                    poll_drain();
                }
            }));
        return;
    }
    if (active != 0) {
        spdlog::warn("net: {} connection(s) still open after {}s; abandoning them", active,
                     std::chrono::duration_cast<std::chrono::seconds>(kDrainTimeout).count());
    }
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    stop_io();
}

Server::Server(const config::ListenerConfig& listener, DeferringHandler handler,
               AnswersAtOnce answers_at_once)
    : impl_(std::make_unique<Impl>(listener, std::move(handler), std::move(answers_at_once))) {
}

Server::Server(const config::ListenerConfig& listener, Handler handler,
               AnswersAtOnce answers_at_once)
    : Server(
          listener,
          [handler = std::move(handler)](const Request& request, const pki::PeerIdentity& peer,
                                         const Responder& responder) {
              responder.respond(handler(request, peer));
          },
          std::move(answers_at_once)) {
}

Server::~Server() = default;

Status Server::open() {
    return impl_->open();
}
void Server::run() {
    impl_->run();
}
void Server::stop() {
    impl_->stop();
}
unsigned short Server::port() const {
    return impl_->port();
}
void Server::on_reload(std::function<void()> hook) {
    impl_->on_reload(std::move(hook));
}
ServerStats Server::stats() const {
    return impl_->stats();
}

}  // namespace estd::net
