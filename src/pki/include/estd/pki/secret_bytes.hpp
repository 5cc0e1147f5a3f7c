#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <openssl/crypto.h>

namespace estd::pki {

// Key material: a buffer of fixed size, overwritten with OPENSSL_cleanse when
// it goes away, so a private key does not linger in freed heap memory. It is
// never resized (a reallocation would leave a copy behind) and not copyable.
class SecretBytes {
  public:
    SecretBytes() = default;
    explicit SecretBytes(std::size_t size) : bytes_(size) {}
    SecretBytes(const std::uint8_t* data, std::size_t size) : bytes_(data, data + size) {}
    ~SecretBytes() { wipe(); }
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&& other) noexcept = default;
    SecretBytes& operator=(SecretBytes&& other) noexcept {
        if (this != &other) {
            wipe();
            bytes_ = std::move(other.bytes_);
        }
        return *this;
    }

    std::uint8_t* data() { return bytes_.data(); }
    const std::uint8_t* data() const { return bytes_.data(); }
    std::size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }
    std::span<const std::uint8_t> view() const { return bytes_; }

    void wipe() {
        if (!bytes_.empty()) {
            OPENSSL_cleanse(bytes_.data(), bytes_.size());
        }
    }

  private:
    std::vector<std::uint8_t> bytes_;
};

}  // namespace estd::pki
