#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"
#include "estd/est/est_call.hpp"
#include "estd/est/est_profile.hpp"
#include "estd/est/operation.hpp"
#include "estd/pki/csr.hpp"
#include "estd/store/certificate_inventory.hpp"
#include "estd/store/revocation_ledger.hpp"
#include "estd/store/shared_counts.hpp"

namespace estd::est {

// revoked_by of a certificate withheld because its audit record could not be
// written.
inline constexpr std::string_view kWithheldActor = "estd: withheld, audit record not written";
// actor of the periodic summary of successful cacerts and csrattrs answers.
inline constexpr std::string_view kReadSummaryActor = "estd: summary of successful answers";
// How often that summary is written (and once more at shutdown).
inline constexpr std::chrono::seconds kReadSummaryInterval{60};

// The six EST operations for every configured profile.
class EstService {
  public:
    // The HTTP status an error of `kind` is answered with, for the audit
    // record: the edge owns that mapping (http::status_of) and lends it.
    using StatusOf = unsigned (*)(ErrorKind kind);

    EstService(std::vector<EstProfile> profiles, audit::AuditSink& audit,
               audit::ProfileCounters& counters, std::chrono::seconds default_ttl,
               StatusOf status_of);

    // The profile `route` names, or the 404 Error: no profile of that
    // PathID (or no default one), or an est-mtls route of a profile that
    // does not take mTLS. handle() answers the same; the router asks first
    // so that an unknown profile is a 404 whatever the method.
    Result<const EstProfile*> serving_profile(const EstRoute& route) const;
    // Runs work on the caller's side (see handle).
    using Resume = std::function<void(std::function<void()>)>;
    using Answered = std::function<void(Result<EstAnswer>)>;
    // One EST call: the caller's gates, the operation, its audit record.
    // Which method the operation takes is the caller's to check
    // (operation_takes_body). `answered` is called once: before this
    // returns, or, when the call issued a certificate, after its inventory
    // row is committed, from the work handed to `resume`. `resume` is called
    // on the store's thread and must run the work on another (the caller's):
    // it writes the audit record and may wait on the store. The call's views
    // are not read after this returns.
    void handle(const EstCall& call, const Resume& resume, Answered answered);
    // The same, waiting here for the commit.
    Result<EstAnswer> handle(const EstCall& call);
    // True when handle() neither waits nor computes for long on `route`:
    // cacerts and csrattrs on /.well-known/est/ (answered from memory), and
    // simpleenroll there when its profile signs in memory, the store commits
    // without a waiting thread and no limit of the profile is counted in a
    // shared store.
    // Anything else may wait (an HSM, a store read on est-mtls, a shared
    // count, a generated key) and wants a thread that may.
    bool answers_without_waiting(const EstRoute& route) const;

    const std::vector<EstProfile>& profiles() const { return profiles_; }

    // One profile's outcome of reload_trust_bundles().
    struct TrustReload {
        std::string profile;
        bool reloaded = false;
        bool changed = false;  // the bundle holds other anchors than before
        std::string detail;    // anchors loaded, or why the old ones were kept
    };
    // Re-reads every mTLS trust bundle (SIGHUP; the admin API). A bundle that
    // cannot be loaded keeps that profile's anchors in force and is logged;
    // a bundle with other anchors than before swaps them atomically and
    // writes an est_trust_anchor_reloaded audit row naming `actor`.
    // Thread-safe.
    // `only_path_id` limits the reload to the profile with that PathID.
    std::vector<TrustReload> reload_trust_bundles(
        const std::string& actor, const std::optional<std::string>& only_path_id = std::nullopt);

    // The inventory: every issued certificate is recorded in it before the
    // response is sent, and client certificates are checked against its
    // revocations. Set before serving; without it nothing is recorded.
    // A withheld certificate is revoked in `revocations`. With
    // `shared_counts` (other estd share the store), the failed-Basic
    // lockouts and per-principal limits also count there.
    void use_store(store::CertificateInventory& inventory, store::RevocationLedger& revocations,
                   store::SharedCounts* shared_counts);

    // A successful cacerts or csrattrs is counted, not audited one by one
    // (docs/security.md, "What is audited"): this writes one audit event per
    // profile and operation with the number answered since the last call,
    // and nothing where none was. Called periodically and at shutdown.
    // Thread-safe.
    void summarize_reads();

  private:
    struct Outcome {
        EstAnswer answer;
        // The issued certificate's, for the audit record; empty otherwise.
        std::string subject;
        std::string serial;
        // The issued certificate's inventory row: the answer goes out only
        // once it is committed. None without a store.
        std::optional<store::CertificateRecord> row;
    };
    // Who asked, as the audit record names them: kept past the call itself.
    struct Caller {
        std::string request_id;
        std::string client_ip;
    };
    struct AwaitingCommit;

    const EstProfile* find_profile(const std::string& path_id) const;
    Result<Outcome> dispatch(const EstProfile& profile, const EstCall& call);
    // Gates decided before the body is read: who is calling.
    Status check_caller(const EstProfile& profile, const EstCall& call);
    Status check_client_certificate(const EstProfile& profile, const RequestContext& ctx,
                                    const EstRoute& route) const;
    // simplereenroll: may this profile renew `current`? 401
    // est_auth_failed_mtls naming why not.
    Status check_renewable(const EstProfile& profile, X509* current,
                           STACK_OF(X509) * untrusted) const;
    // `cert`, from this profile's issuing CA, was issued through this profile
    // and is not revoked: the inventory's row says so. Without a store, true
    // unless another profile shares the issuer. 401 otherwise, 503 when the
    // store cannot be read.
    Status check_issued_through(const EstProfile& profile, X509* cert) const;
    // Gates that need the parsed CSR (channel binding, per-principal limits).
    Status check_csr_gates(const EstProfile& profile, const pki::Csr& csr, const EstCall& call);
    // What the certificate will be: the CSR read through the profile's policy.
    Result<pki::CertificateTemplate> build_template(const EstProfile& profile,
                                                    const pki::Csr& csr) const;
    // simpleenroll, simplereenroll and serverkeygen: one path through the
    // gates, so serverkeygen is gated exactly as simpleenroll.
    Result<Outcome> enroll(const EstProfile& profile, const EstCall& call);
    // The certificate for an accepted CSR: policy and signature.
    // `renewing`: the certificate a renewal replaces, whose subject and SANs
    // the new one must carry unchanged.
    Result<pki::X509Ptr> issue_certificate(const EstProfile& profile, const pki::Csr& csr,
                                           X509* renewing = nullptr);
    // The outcome of an enrollment that issued `cert`, answered with `answer`.
    Outcome issued(const EstProfile& profile, const RequestContext& ctx, X509* cert,
                   EstAnswer answer) const;
    // serverkeygen after the gates: a key generated for the CSR, the CSR
    // rebuilt around it and issued, the key returned with the certificate.
    Result<Outcome> server_keygen(const EstProfile& profile, const EstCall& call,
                                  const pki::Csr& csr);
    // Counts and audits the outcome. An enrollment's certificate goes out
    // only with its audit line: when that cannot be written, the error.
    Status record(const EstProfile& profile, const Caller& caller, Operation op,
                  const Result<Outcome>& outcome);
    // The answer to a call whose outcome is settled (its row, if any,
    // committed): recorded, or withheld when its record cannot be written.
    Result<EstAnswer> conclude(const EstProfile& profile, const Caller& caller, Operation op,
                               Result<Outcome> outcome);
    // The 503 for an enrollment whose audit record failed (`why`); the
    // certificate `serial` is revoked in the store as kWithheldActor.
    Error withhold(const EstProfile& profile, const std::string& serial, Error why) const;
    // 401 est_auth_failed_mtls when the store has `cert` revoked.
    Status check_not_revoked(X509* cert) const;
    // The issued certificate's inventory row; none without a store.
    std::optional<store::CertificateRecord> inventory_row(const EstProfile& profile,
                                                          const RequestContext& ctx,
                                                          X509* cert) const;

    std::vector<EstProfile> profiles_;
    audit::AuditSink& audit_;
    audit::ProfileCounters& counters_;
    std::chrono::seconds default_ttl_;
    StatusOf status_of_;
    store::CertificateInventory* store_ = nullptr;
    store::RevocationLedger* revocations_ = nullptr;
    // Successful cacerts and csrattrs answers not yet in a summary: two
    // cells per profile, in the order of profiles_.
    std::unique_ptr<std::atomic<std::uint64_t>[]> unsummarized_reads_;
};

}  // namespace estd::est
