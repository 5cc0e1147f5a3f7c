#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/issuer/crl_signer.hpp"
#include "estd/pki/handles.hpp"
#include "estd/store/revocation_ledger.hpp"

namespace estd::revocation {

// One CRL per issuer, built from the revocation ledger and signed by the
// issuer, kept in memory for /.well-known/pki/crls/<issuer-id>.crl. Rebuilt
// every `interval` on its own thread and at once when regenerate() is called
// (after a revocation). Each build takes the next CRL number from the
// ledger, so numbers only grow, also across restarts. Every `check_every` it
// also asks the ledger whether an issuer's revocations grew since its CRL
// was built (another estd sharing the database revoked), and rebuilds that
// one.
class CrlPublisher {
  public:
    CrlPublisher(std::vector<issuer::CrlSigningIssuer> issuers, store::RevocationLedger& ledger,
                 std::chrono::seconds interval,
                 std::chrono::milliseconds check_every = std::chrono::seconds(5));
    ~CrlPublisher();
    CrlPublisher(const CrlPublisher&) = delete;
    CrlPublisher& operator=(const CrlPublisher&) = delete;

    // Builds every issuer's CRL once (an issuer whose signing fails now, a
    // token that is down, is logged and skipped), then starts the periodic
    // thread.
    void start();
    void stop();

    // Rebuilds one issuer's CRL now; returns when the new CRL is served.
    Status regenerate(const std::string& issuer_id);
    // The current DER CRL; null when the issuer is unknown or has none yet.
    std::shared_ptr<const pki::Bytes> crl(const std::string& issuer_id) const;
    bool knows(const std::string& issuer_id) const;

    // thisUpdate + 2 intervals: a relying party that fetched just before a
    // rebuild still holds a current CRL until the next one is out.
    std::chrono::seconds validity() const { return interval_ * 2; }

  private:
    void regenerate_all();
    void regenerate_changed();
    void loop();

    std::vector<issuer::CrlSigningIssuer> issuers_;
    store::RevocationLedger& ledger_;
    std::chrono::seconds interval_;
    std::chrono::milliseconds check_every_;

    std::mutex build_mutex_;  // one build at a time: numbers stay in order
    // store::RevocationLedger::revoked_count as each issuer's current CRL saw it.
    std::map<std::string, std::uint64_t> built_revoked_count_;
    mutable std::mutex cache_mutex_;
    std::map<std::string, std::shared_ptr<const pki::Bytes>> cache_;

    std::mutex thread_mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace estd::revocation
