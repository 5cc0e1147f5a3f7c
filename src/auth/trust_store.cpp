#include "estd/auth/trust_store.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "estd/pki/certificate.hpp"

namespace estd::auth {

Result<pki::ChainVerifier> load_trust_bundle(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        return Error::internal("trust bundle " + path + ": " + ec.message());
    }
    if (size == 0) {
        return Error::internal("trust bundle " + path + " is empty");
    }
    if (size > kMaxTrustBundleBytes) {
        return Error::internal("trust bundle " + path + " is larger than " +
                               std::to_string(kMaxTrustBundleBytes / (1024 * 1024)) + " MiB");
    }
    auto anchors = pki::load_certificates_file(path);
    if (!anchors) {
        // load_certificates_file names the file itself.
        return Error::internal("trust bundle: " + anchors.error().message);
    }
    auto verifier = pki::ChainVerifier::from_certificates(std::move(*anchors));
    if (!verifier) {
        return Error::internal("trust bundle " + path + ": " + verifier.error().message);
    }
    return verifier;
}

Result<std::unique_ptr<TrustStore>> TrustStore::open(std::string path) {
    auto verifier = load_trust_bundle(path);
    if (!verifier) {
        return std::move(verifier).take_error();
    }
    auto shared = std::make_shared<const pki::ChainVerifier>(std::move(*verifier));
    return std::make_unique<TrustStore>(Passkey{}, std::move(path), std::move(shared));
}

std::shared_ptr<const pki::ChainVerifier> TrustStore::current() const {
    return verifier_.load(std::memory_order_acquire);
}

Result<TrustStore::Reloaded> TrustStore::reload() {
    const std::lock_guard lock(reload_mutex_);
    auto verifier = load_trust_bundle(path_);
    if (!verifier) {
        return std::move(verifier).take_error();
    }
    const Reloaded reloaded{verifier->anchors().size(),
                            !std::ranges::equal(verifier->anchors(), current()->anchors(),
                                                [](const pki::X509Ptr& a, const pki::X509Ptr& b) {
                                                    return X509_cmp(a.get(), b.get()) == 0;
                                                })};
    if (reloaded.changed) {
        verifier_.store(std::make_shared<const pki::ChainVerifier>(std::move(*verifier)),
                        std::memory_order_release);
    }
    return reloaded;
}

}  // namespace estd::auth
