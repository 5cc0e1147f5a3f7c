#include "est_commands.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <openssl/evp.h>

#include "cli_files.hpp"
#include "estd/client/encoding.hpp"
#include "estd/client/renewal.hpp"
#include "estd/core/hex.hpp"
#include "estd/core/time_format.hpp"
#include "estd/pki/base64.hpp"
#include "estd/pki/certificate.hpp"
#include "estd/pki/pkcs7.hpp"
#include "estd/pki/pkcs8.hpp"
#include "exit_codes.hpp"

namespace estd::cli {

namespace {

std::string fingerprint_sha256(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    X509_digest(cert, EVP_sha256(), md.data(), &length);
    return to_hex(std::span(md.data(), length), HexCase::upper, ":");
}

// PKCS#8 PEM ("PRIVATE KEY"), or DER with `der`.
Result<std::string> private_key_text(EVP_PKEY* key, bool der) {
    auto pkcs8 = pki::private_key_pkcs8_der(key);
    if (!pkcs8) {
        return Error::protocol("cannot encode the private key: " + pkcs8.error().message);
    }
    if (der) {
        return std::string(pkcs8->data(), pkcs8->data() + pkcs8->size());
    }
    return client::pem_encode("PRIVATE KEY", pkcs8->view());
}

std::string all_pem(const std::vector<pki::X509Ptr>& certs) {
    std::string pem;
    for (const auto& cert : certs) {
        pem += pki::certificate_pem(cert.get());
    }
    return pem;
}

std::string as_text(const pki::Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

// To --out, or stdout when there is none.
Status emit(const EstOptions& o, std::string_view content, FileMode mode = FileMode::public_data) {
    if (o.out.empty()) {
        std::cout.write(content.data(), static_cast<std::streamsize>(content.size()));
        std::cout.flush();
        return Ok{};
    }
    return write_output_file(o.out, content, mode);
}

int finish(const Status& written) {
    return written ? kExitOk : report_failure(written.error());
}

Result<client::EstClient> make_client(const EstOptions& o) {
    warn_if_insecure(o);
    auto options = client_options(o);
    if (!options) {
        return std::move(options).take_error();
    }
    return client::EstClient(std::move(options).value());
}

void print_tls(client::EstClient& est, const EstOptions& o) {
    if (!o.verbose) {
        return;
    }
    if (auto conn = est.connection()) {
        std::cerr << "estctl: connected with " << (*conn)->version_name() << "\n";
    }
}

int run_cacerts(const EstOptions& o) {
    auto est = make_client(o);
    if (!est) {
        return report_failure(est.error());
    }
    auto certs = est->cacerts();
    if (!certs) {
        return report_failure(certs.error());
    }
    print_tls(*est, o);
    for (const auto& cert : *certs) {
        std::cerr << "estctl: CA certificate " << describe_certificate(cert.get()) << "\n";
        if (o.insecure) {
            std::cerr << "        SHA-256 " << fingerprint_sha256(cert.get()) << "\n";
        }
    }
    if (!o.der) {
        return finish(emit(o, all_pem(*certs)));
    }
    std::vector<X509*> raw;
    for (const auto& cert : *certs) {
        raw.push_back(cert.get());
    }
    auto der = pki::certs_only_der(raw);
    if (!der) {
        return report_failure(Error::protocol(der.error().message));
    }
    return finish(emit(o, as_text(*der)));
}

int run_csrattrs(const EstOptions& o) {
    auto est = make_client(o);
    if (!est) {
        return report_failure(est.error());
    }
    auto attrs = est->csrattrs();
    if (!attrs) {
        return report_failure(attrs.error());
    }
    print_tls(*est, o);
    if (attrs->der.empty()) {
        std::cout << "the server asks for no CSR attributes (204)\n";
        return kExitOk;
    }
    for (const auto& item : attrs->items) {
        std::cout << (item.is_attribute ? "attribute " : "oid ") << item.name;
        if (item.name != item.oid) {
            std::cout << " (" << item.oid << ")";
        }
        for (const auto& value : item.values) {
            std::cout << "\n  " << value;
        }
        std::cout << "\n";
    }
    if (o.out.empty()) {
        return kExitOk;
    }
    return finish(write_output_file(
        o.out, o.der ? as_text(attrs->der) : pki::base64_encode_lines(attrs->der)));
}

int write_issued(const EstOptions& o, const client::EnrollResult& result) {
    if (result.pending) {
        std::cerr << "estctl: the server accepted the request for later (202); retry after "
                  << (result.retry_after.empty() ? "an unspecified time"
                                                 : result.retry_after + " s")
                  << "\n";
        return kExitPending;
    }
    X509* issued = result.certificates.front().get();
    std::cerr << "estctl: issued " << describe_certificate(issued) << "\n";
    if (o.der) {
        return finish(emit(o, as_text(pki::certificate_der(issued))));
    }
    return finish(emit(o, all_pem(result.certificates)));
}

Result<pki::X509Ptr> renewal_certificate(const EstOptions& o) {
    if (o.cert.empty()) {
        return pki::X509Ptr();
    }
    auto chain = pki::load_certificates_file(o.cert);
    if (!chain || chain->empty()) {
        return Error::input(chain ? o.cert + " holds no certificate" : chain.error().message);
    }
    return std::move(chain->front());
}

std::string percent_text(long long basis_points) {
    std::string text = std::to_string(basis_points / 100);
    if (basis_points % 100 != 0) {
        const long long hundredths = basis_points % 100;
        text += (hundredths < 10 ? ".0" : ".") + std::to_string(hundredths);
    }
    return text + "%";
}

// --if-remaining: whether the renewal is due; says why not on stderr. A
// device's cron runs reenroll often and only the due runs reach the server.
Result<bool> renewal_due(const EstOptions& o, X509* cert) {
    auto threshold = client::parse_renewal_threshold(o.if_remaining);
    if (!threshold) {
        return Error::input("--if-remaining: " + threshold.error().message);
    }
    if (cert == nullptr) {
        return Error::input("--if-remaining needs --cert, the certificate to renew");
    }
    const auto check = client::renewal_check(cert, std::chrono::system_clock::now(), *threshold);
    if (!check.due) {
        std::cerr << "estctl: not due: " << percent_text(check.remaining_basis_points)
                  << " of the lifetime of " << describe_certificate(cert) << " remains, renewal at "
                  << percent_text(threshold->basis_points) << "; nothing sent\n";
    } else if (o.verbose) {
        std::cerr << "estctl: due: " << percent_text(check.remaining_basis_points)
                  << " of the lifetime remains, renewal at "
                  << percent_text(threshold->basis_points) << "\n";
    }
    return check.due;
}

int run_enroll(const EstOptions& o, client::EnrollOperation op) {
    pki::X509Ptr renew;
    if (op == client::EnrollOperation::simplereenroll) {
        auto cert = renewal_certificate(o);
        if (!cert) {
            return report_failure(cert.error());
        }
        renew = std::move(cert).value();
        if (!o.if_remaining.empty()) {
            auto due = renewal_due(o, renew.get());
            if (!due) {
                return report_failure(due.error());
            }
            if (!*due) {
                return kExitOk;
            }
        }
    }
    auto est = make_client(o);
    if (!est) {
        return report_failure(est.error());
    }
    auto source = csr_source(o, renew.get());
    if (!source) {
        return report_failure(source.error());
    }
    auto result = send_enroll(*est, op, *source, o.verbose);
    if (!result) {
        return report_failure(result.error());
    }
    print_tls(*est, o);
    return write_issued(o, *result);
}

Status write_key_files(const EstOptions& o, const client::ServerKeygenResult& result) {
    auto write_plain = [&](EVP_PKEY* key) -> Status {
        auto text = private_key_text(key, o.der);
        if (!text) {
            return std::move(text).take_error();
        }
        auto written =
            write_output_file(o.out + (o.der ? ".key.der" : ".key.pem"), *text, FileMode::secret);
        OPENSSL_cleanse(text->data(), text->size());
        return written;
    };
    if (result.protection == client::KeyProtection::plain_pkcs8) {
        auto key = client::parse_private_key_der(result.key_der);
        return key ? write_plain(key->get()) : Status(std::move(key).take_error());
    }
    if (auto w =
            write_output_file(o.out + ".key.enveloped", as_text(result.key_der), FileMode::secret);
        !w) {
        return w;
    }
    if (o.decrypt_key.empty()) {
        return Ok{};
    }
    auto recipient = pki::load_private_key_file(o.decrypt_key);
    if (!recipient) {
        return Error::input(recipient.error().message);
    }
    auto key = client::decrypt_enveloped_key(result.key_der, recipient->get(),
                                             result.certificates.front().get());
    return key ? write_plain(key->get()) : Status(std::move(key).take_error());
}

Result<client::ServerKeygenResult> send_serverkeygen(client::EstClient& est,
                                                     const CsrSource& source, bool verbose) {
    if (source.binding != BindingMode::none) {
        return est.serverkeygen_bound(
            [&](const client::ChannelBinding& b) { return source.build(&b, verbose); });
    }
    auto der = source.build(nullptr, verbose);
    if (!der) {
        return std::move(der).take_error();
    }
    return est.serverkeygen(*der);
}

int run_serverkeygen(const EstOptions& o) {
    if (o.out.empty()) {
        return report_failure(Error::input(
            "serverkeygen needs --out PREFIX (writes PREFIX.cert.pem and PREFIX.key.*)"));
    }
    auto est = make_client(o);
    if (!est) {
        return report_failure(est.error());
    }
    auto source = csr_source(o, nullptr);
    if (!source) {
        return report_failure(source.error());
    }
    auto result = send_serverkeygen(*est, *source, o.verbose);
    if (!result) {
        return report_failure(result.error());
    }
    print_tls(*est, o);
    X509* issued = result->certificates.front().get();
    std::cerr << "estctl: issued " << describe_certificate(issued) << "\n";
    const auto cert_written =
        o.der ? write_output_file(o.out + ".cert.der", as_text(pki::certificate_der(issued)))
              : write_output_file(o.out + ".cert.pem", all_pem(result->certificates));
    if (!cert_written) {
        return report_failure(cert_written.error());
    }
    return finish(write_key_files(o, *result));
}

}  // namespace

int report_failure(const Error& error) {
    std::cerr << "estctl: error: " << error.message << "\n";
    return exit_code_for(error);
}

std::string describe_certificate(X509* cert) {
    return pki::name_to_string(X509_get_subject_name(cert)) + " (serial " + pki::serial_hex(cert) +
           ", not after " + format_utc_rfc3339(pki::not_after(cert)) + ")";
}

Result<CsrSource> csr_source(const EstOptions& o, X509* renewal_certificate, pki::EvpPkeyPtr key) {
    CsrSource source;
    auto mode = binding_mode(o);
    if (!mode) {
        return std::move(mode).take_error();
    }
    source.binding = *mode;
    source.flags = o;
    if (!o.csr_file.empty()) {
        if (source.binding != BindingMode::none || has_name_flags(o) ||
            !o.challenge_password_file.empty()) {
            return Error::input(
                "--csr is sent as it is: --channel-binding, --cn, --dns, --ip, --email, --serial "
                "and --challenge-password-file need the CSR built here from --key");
        }
        auto content = read_text_file(o.csr_file);
        if (!content) {
            return std::move(content).take_error();
        }
        auto der = client::csr_from_file_content(*content);
        if (!der) {
            return Error::input(o.csr_file + ": " + der.error().message);
        }
        source.fixed_der = std::move(der).value();
        return source;
    }
    if (key) {
        source.key = std::move(key);
    } else {
        const std::string& key_path = o.csr_key.empty() ? o.key : o.csr_key;
        if (key_path.empty()) {
            return Error::input("give --csr FILE, or --key FILE (with --cn ...) to build one");
        }
        auto loaded = pki::load_private_key_file(key_path);
        if (!loaded) {
            return Error::input(loaded.error().message);
        }
        source.key = std::move(loaded).value();
    }
    if (!has_name_flags(o)) {
        if (renewal_certificate == nullptr) {
            return Error::input("the CSR needs names: --cn, --serial, --dns, --ip or --email");
        }
        source.renew_from = pki::share(renewal_certificate);
    }
    if (!o.challenge_password_file.empty()) {
        if (source.binding == BindingMode::challenge_password ||
            source.binding == BindingMode::both) {
            return Error::input(
                "--challenge-password-file and --channel-binding=challenge-password both want "
                "challengePassword; use --channel-binding=attribute");
        }
        auto password = read_password_file(o.challenge_password_file);
        if (!password) {
            return std::move(password).take_error();
        }
        source.challenge_password = std::move(password).value();
    }
    return source;
}

Result<pki::Bytes> CsrSource::build(const client::ChannelBinding* binding_value,
                                    bool verbose) const {
    if (!fixed_der.empty()) {
        return fixed_der;
    }
    client::CsrRequest request =
        renew_from ? client::renewal_request(renew_from.get()) : csr_request_from_flags(flags);
    request.challenge_password = challenge_password;
    if (binding_value != nullptr) {
        const bool exporter = binding_value->type == client::ChannelBindingType::tls_exporter;
        const bool in_password = !exporter || binding != BindingMode::attribute;
        const bool in_attribute = exporter && binding != BindingMode::challenge_password;
        if (in_password) {
            request.challenge_password = client::base64_one_line(binding_value->value);
        }
        if (in_attribute) {
            request.channel_binding_attribute = binding_value->value;
        }
        if (verbose || (!exporter && binding == BindingMode::attribute)) {
            std::cerr << "estctl: channel binding " << (exporter ? "tls-exporter" : "tls-unique")
                      << " on " << binding_value->tls_version << " in "
                      << (in_password && in_attribute ? "challengePassword and attribute"
                          : in_password               ? "challengePassword"
                                                      : "attribute")
                      << "\n";
        }
    }
    return client::build_csr(key.get(), request);
}

Result<client::EnrollResult> send_enroll(client::EstClient& est, client::EnrollOperation op,
                                         const CsrSource& source, bool verbose) {
    if (source.binding != BindingMode::none) {
        return est.enroll_bound(
            op, [&](const client::ChannelBinding& b) { return source.build(&b, verbose); });
    }
    auto der = source.build(nullptr, verbose);
    if (!der) {
        return std::move(der).take_error();
    }
    return est.enroll(op, *der);
}

int run_est_verb(EstVerb verb, const EstOptions& options) {
    switch (verb) {
        case EstVerb::cacerts:
            return run_cacerts(options);
        case EstVerb::csrattrs:
            return run_csrattrs(options);
        case EstVerb::enroll:
            return run_enroll(options, client::EnrollOperation::simpleenroll);
        case EstVerb::reenroll:
            return run_enroll(options, client::EnrollOperation::simplereenroll);
        case EstVerb::serverkeygen:
            return run_serverkeygen(options);
        case EstVerb::test:
            break;
    }
    return kExitUsage;  // test is dispatched by its own runner
}

}  // namespace estd::cli
