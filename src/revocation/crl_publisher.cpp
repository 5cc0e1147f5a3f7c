#include "estd/revocation/crl_publisher.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "estd/pki/crl.hpp"

namespace estd::revocation {

CrlPublisher::CrlPublisher(std::vector<issuer::CrlSigningIssuer> issuers,
                           store::RevocationLedger& ledger, std::chrono::seconds interval,
                           std::chrono::milliseconds check_every)
    : issuers_(std::move(issuers)),
      ledger_(ledger),
      interval_(interval),
      check_every_(std::clamp<std::chrono::milliseconds>(check_every, std::chrono::milliseconds(1),
                                                         interval)) {
}

CrlPublisher::~CrlPublisher() {
    stop();
}

void CrlPublisher::start() {
    regenerate_all();
    thread_ = std::thread([this] { loop(); });
}

void CrlPublisher::stop() {
    {
        std::lock_guard lock(thread_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void CrlPublisher::loop() {
    auto next_full_build = std::chrono::steady_clock::now() + interval_;
    std::unique_lock lock(thread_mutex_);
    while (!wake_.wait_for(lock, check_every_, [this] { return stopping_; })) {
        lock.unlock();
        if (std::chrono::steady_clock::now() >= next_full_build) {
            regenerate_all();
            next_full_build = std::chrono::steady_clock::now() + interval_;
        } else {
            regenerate_changed();
        }
        lock.lock();
    }
}

// Issuers without a CRL yet (one that could not sign) wait for the full
// rebuild rather than failing, and logging it, every check.
void CrlPublisher::regenerate_changed() {
    for (const auto& issuer : issuers_) {
        std::optional<std::uint64_t> built;
        {
            std::lock_guard lock(build_mutex_);
            if (const auto found = built_revoked_count_.find(issuer.id());
                found != built_revoked_count_.end()) {
                built = found->second;
            }
        }
        if (!built) {
            continue;
        }
        const auto now_revoked = ledger_.revoked_count(issuer.id());
        if (!now_revoked || *now_revoked == *built) {
            continue;  // unchanged, or unknown until the store answers again
        }
        spdlog::info("CRL for issuer {}: {} new revocation(s) in the store, rebuilding",
                     issuer.id(), *now_revoked - *built);
        if (auto rebuilt = regenerate(issuer.id()); !rebuilt) {
            spdlog::error("CRL for issuer {}: {}", issuer.id(), rebuilt.error().message);
        }
    }
}

void CrlPublisher::regenerate_all() {
    for (const auto& issuer : issuers_) {
        if (auto built = regenerate(issuer.id()); !built) {
            spdlog::error("CRL for issuer {}: {}", issuer.id(), built.error().message);
        }
    }
}

bool CrlPublisher::knows(const std::string& issuer_id) const {
    for (const auto& issuer : issuers_) {
        if (issuer.id() == issuer_id) {
            return true;
        }
    }
    return false;
}

Status CrlPublisher::regenerate(const std::string& issuer_id) {
    const issuer::CrlSigningIssuer* issuer = nullptr;
    for (const auto& candidate : issuers_) {
        if (candidate.id() == issuer_id) {
            issuer = &candidate;
        }
    }
    if (issuer == nullptr) {
        return Error{ErrorKind::not_found, {}, "no issuer " + issuer_id};
    }
    std::lock_guard build(build_mutex_);
    const auto now = std::chrono::system_clock::now();
    // Read before the entries: a revocation in between makes the next check
    // rebuild, never a CRL that looks current without it.
    auto revoked_count = ledger_.revoked_count(issuer_id);
    if (!revoked_count) {
        return std::move(revoked_count).take_error();
    }
    auto entries = ledger_.crl_entries(issuer_id, now);
    if (!entries) {
        return std::move(entries).take_error();
    }
    auto number = ledger_.next_crl_number(issuer_id);
    if (!number) {
        return std::move(number).take_error();
    }
    pki::CrlContent content;
    content.number = *number;
    content.this_update = now;
    content.next_update = now + validity();
    for (const auto& entry : *entries) {
        content.revoked.push_back({entry.serial, entry.revoked_at, entry.reason});
    }
    std::shared_ptr<const pki::Bytes> der;
    auto signed_crl = issuer->with_signing_key([&](EVP_PKEY* key) -> Status {
        auto built = pki::build_crl(content, issuer->ca_certificate(), key);
        if (!built) {
            return std::move(built).take_error();
        }
        der = std::make_shared<const pki::Bytes>(std::move(*built));
        return Ok{};
    });
    if (!signed_crl) {
        return signed_crl;
    }
    {
        std::lock_guard lock(cache_mutex_);
        cache_[issuer_id] = std::move(der);
    }
    built_revoked_count_[issuer_id] = *revoked_count;
    spdlog::debug("CRL for issuer {}: number {}, {} revoked", issuer_id, content.number,
                  content.revoked.size());
    return Ok{};
}

std::shared_ptr<const pki::Bytes> CrlPublisher::crl(const std::string& issuer_id) const {
    std::lock_guard lock(cache_mutex_);
    const auto found = cache_.find(issuer_id);
    return found == cache_.end() ? nullptr : found->second;
}

}  // namespace estd::revocation
