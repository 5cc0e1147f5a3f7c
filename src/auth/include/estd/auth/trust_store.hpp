#pragma once

// A profile's mTLS trust bundle (MTLS_CLIENT_CA_TRUST_BUNDLE_PATH) as the
// request path sees it: an immutable verifier behind an atomic pointer, so
// a reload swaps the whole set of anchors at once and a request uses either
// the old set or the new one, never a mix. A bundle that cannot be loaded
// never replaces a working one (the guide's fail-safe reload).

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "estd/core/error.hpp"
#include "estd/pki/chain_verifier.hpp"

namespace estd::auth {

// Larger bundles are refused: no real set of client CAs is this big, and a
// reload must not read an arbitrary file into memory.
inline constexpr std::uintmax_t kMaxTrustBundleBytes = 16 * 1024 * 1024;

// Reads a PEM (or single DER) certificate bundle. The error names the file
// and says what was wrong: unreadable, too large, empty, unparsable.
Result<pki::ChainVerifier> load_trust_bundle(const std::string& path);

class TrustStore {
  public:
    // Loads `path` once; an error refuses the boot.
    static Result<std::unique_ptr<TrustStore>> open(std::string path);
    TrustStore(const TrustStore&) = delete;
    TrustStore& operator=(const TrustStore&) = delete;

    // The anchors in force; the caller's copy stays valid across reloads.
    std::shared_ptr<const pki::ChainVerifier> current() const;
    struct Reloaded {
        std::size_t anchors = 0;
        bool changed = false;  // false: the same certificates, in the same order
    };
    // Re-reads the file. On success anchors other than those in force
    // replace them atomically; on failure the old anchors stay and the error
    // says why. Reloads are serialised.
    Result<Reloaded> reload();

    const std::string& path() const { return path_; }

    struct Passkey {};  // only open() constructs
    TrustStore(Passkey, std::string path, std::shared_ptr<const pki::ChainVerifier> verifier)
        : path_(std::move(path)), verifier_(std::move(verifier)) {}

  private:
    std::string path_;
    std::atomic<std::shared_ptr<const pki::ChainVerifier>> verifier_;
    std::mutex reload_mutex_;
};

}  // namespace estd::auth
