#include "est_options.hpp"

#include <cstdlib>
#include <iostream>

#include "cli_files.hpp"

namespace estd::cli {

void add_server_options(CLI::App& app, EstOptions& o) {
    app.add_option("--server", o.server, "server base URL https://host[:port][/prefix]")
        ->capture_default_str();
    app.add_option("--cacert", o.cacert, "PEM trust anchor(s) for the server certificate");
    app.add_flag("--insecure", o.insecure,
                 "do not verify the server (only to fetch a first cacerts; prints a warning)");
    app.add_option("--server-name", o.server_name,
                   "name to send as SNI and verify instead of the URL's host");
    app.add_option("--tls-min", o.tls_min, "lowest TLS version: 1.2 or 1.3")->capture_default_str();
    app.add_option("--tls-max", o.tls_max, "highest TLS version: 1.2 or 1.3")
        ->capture_default_str();
    app.add_option("--timeout", o.timeout_seconds, "seconds allowed for each network step")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    app.add_flag("-v,--verbose", o.verbose, "print TLS and channel-binding details on stderr");
}

void add_connection_options(CLI::App& app, EstOptions& o) {
    add_server_options(app, o);
    app.add_option("--profile", o.profile,
                   "EST profile (the URL path segment); empty = the label-less /.well-known/est/");
    app.add_flag("--est-mtls", o.est_mtls_route,
                 "use /.well-known/est-mtls/ (estd profiles that require client certificates)");
    app.add_option("--user", o.user, "HTTP Basic user (needs --password-file)");
    app.add_option("--password-file", o.password_file,
                   "file whose first line is the Basic password")
        ->check(CLI::ExistingFile);
    app.add_option("--cert", o.cert, "client certificate (PEM, leaf first) for mTLS");
    app.add_option("--key", o.key, "private key (PEM) of --cert, and the key a CSR is built from");
}

void add_csr_options(CLI::App& app, EstOptions& o) {
    app.add_option("--csr", o.csr_file, "PKCS#10 request to send (PEM, base64 or DER)");
    app.add_option("--csr-key", o.csr_key,
                   "build the CSR from this key instead of --key (e.g. to rekey on reenroll)");
    app.add_option("--cn", o.cn, "subject commonName of the built CSR");
    app.add_option("--dns", o.dns, "DNS subjectAltName (repeatable)");
    app.add_option("--ip", o.ip, "IP subjectAltName (repeatable)");
    app.add_option("--email", o.email, "email subjectAltName (repeatable)");
    app.add_option("--serial", o.serial, "subject serialNumber (device serial)");
    app.add_option("--challenge-password-file", o.challenge_password_file,
                   "put this file's first line in challengePassword");
    app.add_flag("--channel-binding{challenge-password}", o.channel_binding,
                 "bind the CSR to the TLS connection: challenge-password (default), attribute "
                 "(guide OID 1.2.840.113549.1.9.16.2.56) or both; tls-exporter on TLS 1.3, "
                 "tls-unique in challengePassword on TLS 1.2");
}

void add_output_options(CLI::App& app, EstOptions& o) {
    app.add_option("--out", o.out, "output file (stdout when absent)");
    app.add_flag("--der", o.der, "write DER instead of PEM");
}

Result<ServerEndpoint> server_endpoint(const EstOptions& o) {
    auto server = client::parse_server_url(o.server);
    if (!server) {
        return std::move(server).take_error();
    }
    ServerEndpoint out;
    out.server = std::move(server).value();
    auto min = https::parse_tls_version(o.tls_min);
    auto max = https::parse_tls_version(o.tls_max);
    if (!min || !max) {
        return !min ? std::move(min).take_error() : std::move(max).take_error();
    }
    out.connection.min_version = *min;
    out.connection.max_version = *max;
    out.connection.ca_file = o.cacert;
    out.connection.insecure = o.insecure;
    out.connection.server_name = o.server_name;
    out.connection.timeout = std::chrono::seconds(o.timeout_seconds);
    if (!o.cacert.empty() && o.insecure) {
        return Error::input("--cacert and --insecure exclude each other");
    }
    return out;
}

Result<client::EstClientOptions> client_options(const EstOptions& o) {
    auto endpoint = server_endpoint(o);
    if (!endpoint) {
        return std::move(endpoint).take_error();
    }
    client::EstClientOptions out;
    out.server = std::move(endpoint->server);
    out.connection = std::move(endpoint->connection);
    out.profile = o.profile;
    out.route = o.est_mtls_route ? client::EstRouteKind::est_mtls : client::EstRouteKind::est;
    if (!o.user.empty() || !o.password_file.empty()) {
        if (o.user.empty() || o.password_file.empty()) {
            return Error::input("Basic authentication needs both --user and --password-file");
        }
        auto password = read_password_file(o.password_file);
        if (!password) {
            return std::move(password).take_error();
        }
        out.basic = client::BasicCredentials{o.user, std::move(password).value()};
    }
    if (!o.cert.empty()) {
        if (o.key.empty()) {
            return Error::input("--cert needs --key");
        }
        auto identity = https::load_client_identity(o.cert, o.key);
        if (!identity) {
            return std::move(identity).take_error();
        }
        out.connection.identity =
            std::make_shared<const https::ClientIdentity>(std::move(identity).value());
    }
    return out;
}

Result<client::OperatorClientOptions> operator_options(const EstOptions& o) {
    auto endpoint = server_endpoint(o);
    if (!endpoint) {
        return std::move(endpoint).take_error();
    }
    client::OperatorClientOptions out{
        std::move(endpoint->server), std::move(endpoint->connection), {}};
    if (!o.api_key_file.empty()) {
        auto key = read_password_file(o.api_key_file);
        if (!key) {
            return std::move(key).take_error();
        }
        out.api_key = std::move(key).value();
    } else if (const char* env = std::getenv("CERTCTL_API_KEY"); env != nullptr && *env != 0) {
        out.api_key = env;
    } else {
        return Error::input(
            "the operator API needs a Bearer key: --api-key-file FILE or CERTCTL_API_KEY");
    }
    return out;
}

Result<BindingMode> binding_mode(const EstOptions& o) {
    if (o.channel_binding.empty()) {
        return BindingMode::none;
    }
    if (o.channel_binding == "challenge-password") {
        return BindingMode::challenge_password;
    }
    if (o.channel_binding == "attribute") {
        return BindingMode::attribute;
    }
    if (o.channel_binding == "both") {
        return BindingMode::both;
    }
    return Error::input("--channel-binding must be challenge-password, attribute or both, not \"" +
                        o.channel_binding + "\"");
}

bool has_name_flags(const EstOptions& o) {
    return !o.cn.empty() || !o.serial.empty() || !o.dns.empty() || !o.ip.empty() ||
           !o.email.empty();
}

client::CsrRequest csr_request_from_flags(const EstOptions& o) {
    client::CsrRequest request;
    request.common_name = o.cn;
    request.serial_number = o.serial;
    request.dns_names = o.dns;
    request.ip_addresses = o.ip;
    request.emails = o.email;
    return request;
}

void warn_if_insecure(const EstOptions& o) {
    static bool warned = false;
    if (o.insecure && !warned) {
        warned = true;
        std::cerr << "estctl: WARNING: --insecure: the server's identity is NOT verified. Use it "
                     "only to fetch a first cacerts, check its fingerprint out of band, then pass "
                     "it as --cacert.\n";
    }
}

}  // namespace estd::cli
