#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "estd/audit/audit_log.hpp"
#include "estd/audit/counters.hpp"
#include "estd/est/est_profile.hpp"
#include "estd/est/operation.hpp"
#include "estd/net/server.hpp"
#include "estd/pki/csr.hpp"

namespace estd::est {

// Who is asking, as far as the EST layer needs to know.
struct RequestContext {
    std::string request_id;
    std::string client_ip;
};

// The six EST operations for every configured profile.
class EstService {
public:
    EstService(std::vector<EstProfile> profiles, audit::AuditSink& audit,
               audit::ProfileCounters& counters, std::chrono::seconds default_ttl);

    net::Response handle(const net::Request& req, const net::ConnectionInfo& conn,
                         const RequestContext& ctx, const EstRoute& route);

    const std::vector<EstProfile>& profiles() const { return profiles_; }

private:
    struct Outcome {
        unsigned status = 200;
        std::string content_type;
        std::string body;
        std::string subject;
        std::string serial;
    };

    const EstProfile* find_profile(const std::string& path_id) const;
    Result<Outcome> dispatch(const EstProfile& profile, const net::Request& req,
                             const net::ConnectionInfo& conn, const RequestContext& ctx,
                             const EstRoute& route);
    // Gates decided before the body is read: who is calling.
    Status check_caller(const EstProfile& profile, const net::Request& req,
                        const net::ConnectionInfo& conn, const RequestContext& ctx,
                        const EstRoute& route);
    Status check_client_certificate(const EstProfile& profile, const net::ConnectionInfo& conn,
                                    const EstRoute& route) const;
    // Gates that need the parsed CSR (channel binding, per-principal limits).
    Status check_csr_gates(const EstProfile& profile, const pki::Csr& csr,
                           const net::ConnectionInfo& conn, const RequestContext& ctx,
                           Operation op);
    // What the certificate will be: the CSR read through the profile's policy.
    Result<pki::CertificateTemplate> build_template(const EstProfile& profile,
                                                    const pki::Csr& csr) const;
    Result<Outcome> enroll(const EstProfile& profile, const net::Request& req,
                           const net::ConnectionInfo& conn, const RequestContext& ctx,
                           Operation op);
    void record(const EstProfile& profile, const RequestContext& ctx, Operation op,
                const Result<Outcome>& outcome);

    std::vector<EstProfile> profiles_;
    audit::AuditSink& audit_;
    audit::ProfileCounters& counters_;
    std::chrono::seconds default_ttl_;
};

}  // namespace estd::est
