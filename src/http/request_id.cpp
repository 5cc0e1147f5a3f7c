#include "estd/http/request_id.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "estd/pki/handles.hpp"

namespace estd::http {
namespace {

using Block = std::array<unsigned char, 16>;

// RAND_bytes for every id was ~4% of a cacerts' CPU (the DRBG, and its
// fork check's getpid system call); one AES block of a counter costs a
// fraction of that and, the key being secret, reveals neither the counter
// nor the next id. A different key per process keeps ids of two runs apart.
const Block& process_key() {
    static const Block key = [] {
        Block drawn{};
        if (RAND_bytes(drawn.data(), static_cast<int>(drawn.size())) != 1) {
            throw std::runtime_error("request ids: no random key");
        }
        return drawn;
    }();
    return key;
}

// One cipher context per thread: EVP contexts are not shared between
// threads.
EVP_CIPHER_CTX* thread_cipher() {
    thread_local const pki::EvpCipherCtxPtr ctx = [] {
        pki::EvpCipherCtxPtr made(EVP_CIPHER_CTX_new());
        if (!made || EVP_EncryptInit_ex(made.get(), EVP_aes_128_ecb(), nullptr,
                                        process_key().data(), nullptr) != 1) {
            throw std::runtime_error("request ids: cannot set up AES-128");
        }
        EVP_CIPHER_CTX_set_padding(made.get(), 0);
        return made;
    }();
    return ctx.get();
}

}  // namespace

std::string new_request_id() {
    static std::atomic<std::uint64_t> counter{0};
    const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
    Block plain{};
    std::memcpy(plain.data(), &n, sizeof n);
    Block cipher{};
    int written = 0;
    if (EVP_EncryptUpdate(thread_cipher(), cipher.data(), &written, plain.data(),
                          static_cast<int>(plain.size())) != 1 ||
        written != static_cast<int>(cipher.size())) {
        throw std::runtime_error("request ids: AES-128 failed");
    }
    std::uint64_t id = 0;
    std::memcpy(&id, cipher.data(), sizeof id);
    return fmt::format("{:016x}", id);
}

}  // namespace estd::http
