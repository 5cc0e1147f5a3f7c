// Certificate profiles, csrattrs and serverkeygen against the real daemon,
// with openssl and curl as the clients.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "estd/pki/certificate.hpp"
#include "support/csr_extras.hpp"
#include "support/daemon_test.hpp"
#include "support/test_pki.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWifiPassword = "wifi-enroll-s3cret";
constexpr std::int64_t kOneYear = 31536000;

struct Part {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// A strict multipart/mixed reader: CRLF delimiters, headers up to an empty
// line, nothing before the first delimiter but an optional preamble, the
// closing delimiter last.
std::vector<Part> split_multipart(const std::string& body, const std::string& boundary) {
    const std::string delimiter = "--" + boundary;
    std::vector<Part> parts;
    auto at = body.find(delimiter);
    while (at != std::string::npos) {
        at += delimiter.size();
        if (body.compare(at, 2, "--") == 0) {
            break;  // closing delimiter
        }
        EXPECT_EQ(body.compare(at, 2, "\r\n"), 0) << "delimiter not followed by CRLF";
        at += 2;
        const auto header_end = body.find("\r\n\r\n", at);
        EXPECT_NE(header_end, std::string::npos);
        Part part;
        std::string_view headers(body.data() + at, header_end - at);
        while (!headers.empty()) {
            const auto eol = std::min(headers.find("\r\n"), headers.size());
            const auto line = headers.substr(0, eol);
            const auto colon = line.find(':');
            EXPECT_NE(colon, std::string_view::npos) << line;
            auto value = std::string(line.substr(colon + 1));
            value.erase(0, value.find_first_not_of(' '));
            part.headers.emplace_back(std::string(line.substr(0, colon)), value);
            headers.remove_prefix(std::min(eol + 2, headers.size()));
        }
        const auto next = body.find("\r\n" + delimiter, header_end + 4);
        EXPECT_NE(next, std::string::npos);
        part.body = body.substr(header_end + 4, next - header_end - 4);
        parts.push_back(std::move(part));
        at = next + 2;
    }
    return parts;
}

class EstPolicyTest : public DaemonTest {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-policy");
        make_dev_pki(dir_ / "pki", "policy");
        const std::string cp = "CERTCTL_CERT_PROFILE_CP_WIFI_EAP_TLS_";
        env_ = dev_pki_environment(dir_);
        env_.insert({
            {"CERTCTL_PUBLIC_BASE_URL", "https://pki.example.com"},
            // The guide's WiFi profile.
            {"CERTCTL_CERT_PROFILES", "cp-wifi-eap-tls,cp-names"},
            // Only *.example.com DNS names and example.com mail.
            {"CERTCTL_CERT_PROFILE_CP_NAMES_SAN_DNS_SUFFIXES", "*.example.com"},
            {"CERTCTL_CERT_PROFILE_CP_NAMES_SAN_EMAIL_DOMAINS", "example.com"},
            {cp + "ALLOWED_KEY_ALGORITHMS", "EC-P256,RSA-2048"},
            {cp + "ALLOWED_EKUS", "clientAuth"},
            {cp + "REQUIRED_CSR_ATTRIBUTES", "deviceSerialNumber"},
            {cp + "MAX_TTL_SECONDS", std::to_string(kOneYear)},
            // wifi: Basic, serverkeygen enveloped (the default); plain:
            // anonymous, serverkeygen as plain PKCS#8; open: no profile.
            {"CERTCTL_EST_PROFILES", "wifi,plain,open,names"},
            {"CERTCTL_EST_PROFILE_NAMES_PROFILE_ID", "cp-names"},
            {"CERTCTL_EST_PROFILE_WIFI_PROFILE_ID", "cp-wifi-eap-tls"},
            {"CERTCTL_EST_PROFILE_WIFI_ALLOWED_AUTH_MODES", "basic"},
            {"CERTCTL_EST_PROFILE_WIFI_ENROLLMENT_PASSWORD", kWifiPassword},
            {"CERTCTL_EST_PROFILE_WIFI_SERVERKEYGEN_ENABLED", "true"},
            {"CERTCTL_EST_PROFILE_PLAIN_PROFILE_ID", "cp-wifi-eap-tls"},
            {"CERTCTL_EST_PROFILE_PLAIN_SERVERKEYGEN_ENABLED", "true"},
            {"CERTCTL_EST_PROFILE_PLAIN_SERVERKEYGEN_KEY_ENCRYPTION", "none"},
        });
    }

    // POSTs `csr` (a PEM file) base64 to `path`; returns the status, the
    // body in `out` and the response headers in `out`.headers.
    std::string post(const std::string& path, const std::string& csr, const std::string& out,
                     const std::string& auth = "-u device:" + std::string(kWifiPassword)) {
        return sh("curl -sS -o " + out + " -D " + out +
                  ".headers -w '%{http_code}' --cacert "
                  "pki/root-ca.crt " +
                  auth +
                  " -H 'Content-Type: application/pkcs10'"
                  " --data-binary @<(openssl req -in " +
                  csr + " -outform DER | base64 -w0) " + daemon_.url(path));
    }

    void make_csr(const std::string& name, const std::string& key_command,
                  const std::string& subject, const std::string& extra = {}) {
        sh(key_command + " -out " + name + ".key 2>/dev/null");
        sh("openssl req -new -key " + name + ".key -subj '" + subject + "' " + extra + " -out " +
           name + ".csr");
    }

    std::string file(const std::string& name) { return read_file(dir_ / name); }

    // POSTs a DER request made in-process (anonymous); the status, the body in `out`.
    std::string post_der(const std::string& path, const pki::Bytes& der, const std::string& out) {
        write_file(dir_ / (out + ".der"), std::string(der.begin(), der.end()));
        return sh("curl -sS -o " + out +
                  " -w '%{http_code}' --cacert pki/root-ca.crt"
                  " -H 'Content-Type: application/pkcs10' --data-binary @<(base64 -w0 " +
                  out + ".der) " + daemon_.url(path));
    }

    // Refused with a 400 whose text says `needle`, and nothing issued.
    void expect_refused(const std::string& path, const pki::Bytes& der, const std::string& out,
                        const std::string& needle) {
        EXPECT_EQ(post_der(path, der, out), "400") << out << ": " << file(out);
        EXPECT_NE(file(out).find(needle), std::string::npos) << out << ": " << file(out);
    }

    // `name`.csr again as `bad`.csr with the last byte of its signature
    // flipped: the same template, a signature that does not verify.
    void break_signature(const std::string& name, const std::string& bad) {
        sh("openssl req -in " + name + ".csr -outform DER -out " + name + ".der");
        auto der = file(name + ".der");
        der.back() = static_cast<char>(der.back() ^ 0x01);
        write_file(dir_ / (bad + ".der"), der);
        sh("openssl req -inform DER -in " + bad + ".der -out " + bad + ".csr");
        const auto verified = run_command("cd '" + dir_.string() + "' && openssl req -in " + bad +
                                          ".csr -verify -noout 2>&1");
        EXPECT_EQ(verified.output.find("verify OK"), std::string::npos) << verified.output;
    }

    // A CSR (PEM, `name`.csr) for sensor `cn` carrying one attribute of type
    // `oid` holding an OCTET STRING, made in-process: openssl req writes
    // attributes only as strings.
    void make_csr_with_key_identifier(const std::string& name, const std::string& cn,
                                      const std::string& oid, EVP_PKEY* key) {
        test::CsrOptions options;
        options.common_name = cn;
        options.subject_entries = {{"serialNumber", cn + "-SN"}};
        options.octet_string_attributes = {{oid, pki::Bytes{0x01, 0x02, 0x03, 0x04}}};
        const pki::Bytes der = test::make_csr(key, options);
        write_file(dir_ / (name + ".der"), std::string(der.begin(), der.end()));
        sh("openssl req -inform DER -in " + name + ".der -out " + name + ".csr");
    }

    Daemon::Environment env_;
};

const std::string kP256 = "openssl ecparam -name prime256v1 -genkey -noout";
const std::string kP384 = "openssl ecparam -name secp384r1 -genkey -noout";
const std::string kRsa2048 = "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048";

TEST_F(EstPolicyTest, WifiProfileRefusesServerAuthAndMissingSerialAndIssuesAGoodCsr) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();

    make_csr("server", kP256, "/CN=laptop-001/serialNumber=ABC123",
             "-addext extendedKeyUsage=serverAuth");
    EXPECT_EQ(post("/.well-known/est/wifi/simpleenroll", "server.csr", "server.out"), "400");
    EXPECT_NE(file("server.out").find("EKU refused by certificate profile cp-wifi-eap-tls"),
              std::string::npos)
        << file("server.out");
    EXPECT_NE(file("server.out").find("serverAuth"), std::string::npos);

    make_csr("noserial", kP256, "/CN=laptop-002");
    EXPECT_EQ(post("/.well-known/est/wifi/simpleenroll", "noserial.csr", "noserial.out"), "400");
    EXPECT_NE(file("noserial.out").find("attribute refused"), std::string::npos)
        << file("noserial.out");
    EXPECT_NE(file("noserial.out").find("deviceSerialNumber"), std::string::npos);

    make_csr("p384", kP384, "/CN=laptop-003/serialNumber=X1");
    EXPECT_EQ(post("/.well-known/est/wifi/simpleenroll", "p384.csr", "p384.out"), "400");
    EXPECT_NE(file("p384.out").find("key algorithm refused"), std::string::npos)
        << file("p384.out");

    make_csr("rsa1024", "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024",
             "/CN=laptop-004/serialNumber=X2");
    EXPECT_EQ(post("/.well-known/est/wifi/simpleenroll", "rsa1024.csr", "rsa1024.out"), "400");
    EXPECT_NE(file("rsa1024.out").find("key size refused"), std::string::npos)
        << file("rsa1024.out");

    // The guide's recipe, verbatim but for the EKU it asks for (clientAuth).
    make_csr("good", kP256, "/CN=laptop-001/serialNumber=ABC123",
             "-addext extendedKeyUsage=clientAuth");
    ASSERT_EQ(post("/.well-known/est/wifi/simpleenroll", "good.csr", "good.p7"), "200")
        << file("good.p7");
    sh("base64 -d good.p7 | openssl pkcs7 -inform DER -print_certs > good.crt");
    EXPECT_NE(sh("openssl x509 -in good.crt -noout -subject").find("serialNumber = ABC123"),
              std::string::npos);
    const auto eku = sh("openssl x509 -in good.crt -noout -ext extendedKeyUsage");
    EXPECT_NE(eku.find("TLS Web Client Authentication"), std::string::npos) << eku;
    EXPECT_EQ(eku.find("Server"), std::string::npos) << eku;
    const auto ku = sh("openssl x509 -in good.crt -noout -ext keyUsage");
    EXPECT_NE(ku.find("Digital Signature, Key Agreement"), std::string::npos) << ku;
    const auto urls =
        sh("openssl x509 -in good.crt -noout -ext crlDistributionPoints,"
           "authorityInfoAccess");
    EXPECT_NE(urls.find("https://pki.example.com/.well-known/pki/crls/iss-local.crl"),
              std::string::npos)
        << urls;
    EXPECT_NE(urls.find("OCSP - URI:https://pki.example.com/.well-known/pki/ocsp"),
              std::string::npos);
    auto certs = pki::parse_certificates_pem(file("good.crt"));
    ASSERT_TRUE(certs && !certs->empty());
    const auto lifetime =
        pki::not_after(certs->front().get()) - pki::not_before(certs->front().get());
    EXPECT_LE(lifetime, std::chrono::seconds(kOneYear));

    const auto audit = file("data/audit.log");
    EXPECT_NE(audit.find("\"action\":\"est_csr_policy_violation\""), std::string::npos) << audit;
    EXPECT_NE(audit.find("\"action\":\"est_simple_enroll_success\""), std::string::npos);
}

TEST_F(EstPolicyTest, CsrattrsListsTheProfilesRequirements) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();
    const auto status =
        sh("curl -sS -o attrs.b64 -D attrs.headers -w '%{http_code}' --cacert "
           "pki/root-ca.crt " +
           daemon_.url("/.well-known/est/wifi/csrattrs"));
    ASSERT_EQ(status, "200");
    const auto headers = file("attrs.headers");
    EXPECT_NE(headers.find("Content-Type: application/csrattrs"), std::string::npos) << headers;
    EXPECT_NE(headers.find("Content-Transfer-Encoding: base64"), std::string::npos) << headers;
    const auto parsed = sh("base64 -d attrs.b64 | openssl asn1parse -inform DER -i");
    for (const char* needle : {":id-ecPublicKey", ":prime256v1", ":rsaEncryption", ":serialNumber",
                               ":Extension Request", ":X509v3 Extended Key Usage"}) {
        EXPECT_NE(parsed.find(needle), std::string::npos) << needle << "\n" << parsed;
    }
    // Without a certificate profile the baseline's key algorithms are listed.
    EXPECT_EQ(sh("curl -sS -o open.b64 -w '%{http_code}' --cacert pki/root-ca.crt " +
                 daemon_.url("/.well-known/est/open/csrattrs")),
              "200");
    const auto open = sh("base64 -d open.b64 | openssl asn1parse -inform DER -i");
    for (const char* needle :
         {":rsaEncryption", ":id-ecPublicKey", ":prime256v1", ":secp384r1", ":ED25519"}) {
        EXPECT_NE(open.find(needle), std::string::npos) << needle << "\n" << open;
    }
}

// Issue 26: names, keys, signatures and CSR shapes the profiles let through.
TEST_F(EstPolicyTest, MalformedNamesWeakKeysAndOddCsrsAreRefusedWith400) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();
    const auto p256 = test::make_ec_key();
    const auto names = "/.well-known/est/names/simpleenroll";
    const auto open = "/.well-known/est/open/simpleenroll";
    const auto request = [&](std::vector<std::pair<int, std::string>> raw) {
        test::ExtendedCsrOptions options;
        options.common_name = "device";
        options.raw_names = std::move(raw);
        return options;
    };

    using namespace std::string_literals;
    for (const auto* path : {names, open}) {
        expect_refused(
            path, test::make_csr(p256.get(), request({{GEN_DNS, "a.evil.net\0.example.com"s}})),
            "nul-dns", "DNS name \"a.evil.net\\x00.example.com\"");
        expect_refused(
            path, test::make_csr(p256.get(), request({{GEN_EMAIL, "bob@evil.net@example.com"}})),
            "at-at", "email address");
        expect_refused(path, test::make_csr(p256.get(), request({{GEN_DNS, "a..example.com"}})),
                       "empty-label", "has an empty label");
        expect_refused(path, test::make_csr(p256.get(), request({{GEN_DNS, "*"}})), "star",
                       "DNS name");
    }
    // The CN is held to the profile's DNS rule.
    test::ExtendedCsrOptions second = request({{GEN_DNS, "a.example.com"}});
    second.common_name = "second.evil.net";
    expect_refused(names, test::make_csr(p256.get(), second), "cn",
                   "subject refused by certificate profile cp-names");
    test::ExtendedCsrOptions long_cn;
    long_cn.raw_common_name = std::string(10000, 'a');
    expect_refused(open, test::make_csr(p256.get(), long_cn), "long-cn", "ub-common-name");

    // No certificate profile: the baseline.
    test::ExtendedCsrOptions upn;
    upn.common_name = "device";
    upn.subject_alt_names = {"otherName:1.3.6.1.4.1.311.20.2.3;UTF8:admin@example.com"};
    expect_refused(open, test::make_csr(p256.get(), upn), "upn",
                   "estd issues only dns, ip, email and uri names");
    const auto rsa1024 = test::make_rsa_key(1024);
    expect_refused(open, test::make_csr(rsa1024.get(), request({})), "rsa1024",
                   "refused by estd's baseline");
    const auto e3 = test::make_rsa_key_with_exponent(2048, 3);
    expect_refused(open, test::make_csr(e3.get(), request({})), "e3", "public exponent 3");
    expect_refused(names, test::make_csr(e3.get(), request({})), "e3-names", "public exponent 3");
    const auto secp256k1 = test::make_ec_key("secp256k1");
    expect_refused(open, test::make_csr(secp256k1.get(), request({})), "k1", "key algorithm");
    const auto rsa = test::make_rsa_key(2048);
    test::ExtendedCsrOptions md5 = request({});
    md5.digest = "MD5";
    expect_refused(open, test::make_csr(rsa.get(), md5), "md5", "SHA-256 or better");

    // CSR shapes.
    test::ExtendedCsrOptions two_sans = request({{GEN_DNS, "b.example.com"}});
    two_sans.subject_alt_names = {"DNS:a.example.com"};
    expect_refused(open, test::make_csr(p256.get(), two_sans), "two-sans", "more than once");
    test::ExtendedCsrOptions two_requests = request({{GEN_DNS, "b.example.com"}});
    two_requests.second_extension_request = {{"keyUsage", "digitalSignature"}};
    expect_refused(open, test::make_csr(p256.get(), two_requests), "two-requests",
                   "more than one extensionRequest");
    test::ExtendedCsrOptions v2 = request({});
    v2.version = 1;
    expect_refused(open, test::make_csr(p256.get(), v2), "v2", "CSR version must be v1");

    // Well-formed requests still pass, with and without the profile.
    EXPECT_EQ(post_der(names,
                       test::make_csr(p256.get(), request({{GEN_DNS, "a.example.com"},
                                                           {GEN_EMAIL, "bob@example.com"}})),
                       "good-names"),
              "200")
        << file("good-names");
    EXPECT_EQ(post_der(open, test::make_csr(rsa.get(), request({{GEN_DNS, "device.example.net"}})),
                       "good-open"),
              "200")
        << file("good-open");
    // Nothing but those two was issued.
    const auto audit = file("data/audit.log");
    std::size_t issued = 0;
    for (auto at = audit.find("est_simple_enroll_success"); at != std::string::npos;
         at = audit.find("est_simple_enroll_success", at + 1)) {
        ++issued;
    }
    EXPECT_EQ(issued, 2u) << audit;
}

TEST_F(EstPolicyTest, ServerkeygenEnvelopedDecryptsWithTheCsrKey) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();
    make_csr("device", kRsa2048, "/CN=sensor-9/serialNumber=SN9");

    // The gates are simpleenroll's: Basic is required.
    EXPECT_EQ(post("/.well-known/est/wifi/serverkeygen", "device.csr", "noauth.out", ""), "401");

    ASSERT_EQ(post("/.well-known/est/wifi/serverkeygen", "device.csr", "keygen.out"), "200")
        << file("keygen.out");
    const auto headers = file("keygen.out.headers");
    EXPECT_NE(headers.find("Content-Type: multipart/mixed; boundary=estd-serverkeygen-boundary"),
              std::string::npos)
        << headers;
    const auto parts = split_multipart(file("keygen.out"), "estd-serverkeygen-boundary");
    ASSERT_EQ(parts.size(), 2u) << file("keygen.out");
    for (const auto& part : parts) {
        ASSERT_EQ(part.headers.size(), 2u);
        EXPECT_EQ(part.headers[0].first, "Content-Type");
        EXPECT_EQ(part.headers[1].first, "Content-Transfer-Encoding");
        EXPECT_EQ(part.headers[1].second, "base64");
    }
    EXPECT_EQ(parts[0].headers[0].second,
              "application/pkcs7-mime; smime-type=server-generated-key");
    EXPECT_EQ(parts[1].headers[0].second, "application/pkcs7-mime; smime-type=certs-only");

    write_file(dir_ / "key.b64", parts[0].body);
    write_file(dir_ / "cert.b64", parts[1].body);
    sh("base64 -d key.b64 > key.p7 && base64 -d cert.b64 | openssl pkcs7 -inform DER "
       "-print_certs > cert.pem");
    sh("openssl cms -decrypt -inform DER -in key.p7 -inkey device.key -out key.der");
    // The guide's own advice for the enveloped key: openssl smime.
    sh("openssl smime -decrypt -inform DER -in key.p7 -inkey device.key -out key.smime.der");
    EXPECT_EQ(file("key.smime.der"), file("key.der"));
    const auto generated = sh("openssl pkey -inform DER -in key.der -pubout");
    EXPECT_EQ(generated, sh("openssl x509 -in cert.pem -noout -pubkey"));
    EXPECT_NE(generated, sh("openssl pkey -in device.key -pubout"));
    // The first allowed algorithm of the profile, and PKCS#8.
    EXPECT_NE(sh("openssl pkey -inform DER -in key.der -noout -text").find("prime256v1"),
              std::string::npos);
    EXPECT_NE(sh("openssl asn1parse -inform DER -in key.der").find(":id-ecPublicKey"),
              std::string::npos);
    EXPECT_NE(sh("openssl x509 -in cert.pem -noout -subject").find("serialNumber = SN9"),
              std::string::npos);

    // Never logged, never in the audit trail.
    const auto key_text = sh("base64 -w0 key.der");
    EXPECT_EQ(file("data/audit.log").find(key_text.substr(0, 40)), std::string::npos);
    EXPECT_EQ(daemon_.log().find(key_text.substr(0, 40)), std::string::npos);
    EXPECT_NE(file("data/audit.log").find("\"action\":\"est_server_keygen_success\""),
              std::string::npos);
}

TEST_F(EstPolicyTest, ServerkeygenEnvelopedRefusesANonRsaCsr) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();
    make_csr("ec", kP256, "/CN=sensor-1/serialNumber=SN1");
    EXPECT_EQ(post("/.well-known/est/wifi/serverkeygen", "ec.csr", "ec.out"), "400");
    EXPECT_NE(file("ec.out").find("needs an RSA key"), std::string::npos) << file("ec.out");
    EXPECT_NE(file("data/audit.log").find("\"action\":\"est_server_keygen_failed\""),
              std::string::npos);
    // The profile still applies to the rebuilt request: no serial, no key.
    make_csr("rsa", kRsa2048, "/CN=sensor-2");
    EXPECT_EQ(post("/.well-known/est/wifi/serverkeygen", "rsa.csr", "rsa.out"), "400");
    EXPECT_NE(file("rsa.out").find("attribute refused"), std::string::npos) << file("rsa.out");
}

// RFC 7030 §4.4.1: the serverkeygen CSR is a template; the server ignores its
// signature. Enrollment still requires it (proof of possession).
TEST_F(EstPolicyTest, ServerkeygenIgnoresTheCsrSignature) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();
    make_csr("device", kP256, "/CN=sensor-11/serialNumber=SN11");
    break_signature("device", "bad");

    ASSERT_EQ(post("/.well-known/est/plain/serverkeygen", "bad.csr", "plain.out", ""), "200")
        << file("plain.out");
    const auto parts = split_multipart(file("plain.out"), "estd-serverkeygen-boundary");
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].headers[0].second, "application/pkcs8");
    write_file(dir_ / "key.b64", parts[0].body);
    write_file(dir_ / "cert.b64", parts[1].body);
    sh("base64 -d key.b64 > key.der && base64 -d cert.b64 | openssl pkcs7 -inform DER "
       "-print_certs > cert.pem");
    EXPECT_EQ(sh("openssl pkey -inform DER -in key.der -pubout"),
              sh("openssl x509 -in cert.pem -noout -pubkey"));
    EXPECT_NE(sh("openssl x509 -in cert.pem -noout -subject").find("CN = sensor-11"),
              std::string::npos);

    // cms mode: the key only has to be usable as the recipient.
    make_csr("rsa", kRsa2048, "/CN=sensor-12/serialNumber=SN12");
    break_signature("rsa", "badrsa");
    ASSERT_EQ(post("/.well-known/est/wifi/serverkeygen", "badrsa.csr", "cms.out"), "200")
        << file("cms.out");
    const auto enveloped = split_multipart(file("cms.out"), "estd-serverkeygen-boundary");
    ASSERT_EQ(enveloped.size(), 2u);
    write_file(dir_ / "cms.b64", enveloped[0].body);
    sh("base64 -d cms.b64 > cms.p7 && openssl cms -decrypt -inform DER -in cms.p7 -inkey "
       "rsa.key -out cms.der && openssl pkey -inform DER -in cms.der -noout");

    // Enrollment: the signature is the proof of possession.
    EXPECT_EQ(post("/.well-known/est/plain/simpleenroll", "bad.csr", "enroll.out", ""), "400");
    EXPECT_NE(file("enroll.out").find("CSR signature does not verify"), std::string::npos)
        << file("enroll.out");
}

// RFC 7030 §4.4.1.1 / §4.4.1.2: a key identifier the server cannot resolve
// ends the request with an error, never with a key the client cannot use as
// it asked.
TEST_F(EstPolicyTest, ServerkeygenRefusesDecryptKeyIdentifiersItCannotResolve) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();
    const auto rsa = test::make_rsa_key(2048);
    const auto ec = test::make_ec_key();
    const struct {
        const char* oid;
        const char* name;
    } cases[] = {{"1.2.840.113549.1.9.16.2.37", "DecryptKeyIdentifier"},
                 {"1.2.840.113549.1.9.16.2.54", "AsymmetricDecryptKeyIdentifier"}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        make_csr_with_key_identifier("plain", "sensor-21", c.oid, ec.get());
        EXPECT_EQ(post("/.well-known/est/plain/serverkeygen", "plain.csr", "plain.out", ""), "400");
        EXPECT_NE(file("plain.out").find(c.name), std::string::npos) << file("plain.out");
        EXPECT_EQ(file("plain.out").find("application/pkcs8"), std::string::npos);

        make_csr_with_key_identifier("cms", "sensor-22", c.oid, rsa.get());
        EXPECT_EQ(post("/.well-known/est/wifi/serverkeygen", "cms.csr", "cms.out"), "400");
        EXPECT_NE(file("cms.out").find(c.name), std::string::npos) << file("cms.out");
    }
    const auto audit = file("data/audit.log");
    EXPECT_EQ(audit.find("\"action\":\"est_server_keygen_success\""), std::string::npos) << audit;
    EXPECT_NE(audit.find("\"action\":\"est_server_keygen_failed\""), std::string::npos);
}

TEST_F(EstPolicyTest, ServerkeygenPlainReturnsPkcs8) {
    ASSERT_TRUE(daemon_.start(env_)) << daemon_.log();
    make_csr("device", kP256, "/CN=sensor-7/serialNumber=SN7");
    ASSERT_EQ(post("/.well-known/est/plain/serverkeygen", "device.csr", "keygen.out", ""), "200")
        << file("keygen.out");
    const auto parts = split_multipart(file("keygen.out"), "estd-serverkeygen-boundary");
    ASSERT_EQ(parts.size(), 2u);
    for (const auto& part : parts) {
        ASSERT_EQ(part.headers.size(), 2u);
        EXPECT_EQ(part.headers[0].first, "Content-Type");
        EXPECT_EQ(part.headers[1].first, "Content-Transfer-Encoding");
    }
    EXPECT_EQ(parts[0].headers[0].second, "application/pkcs8");
    write_file(dir_ / "key.b64", parts[0].body);
    write_file(dir_ / "cert.b64", parts[1].body);
    sh("base64 -d key.b64 > key.der && base64 -d cert.b64 | openssl pkcs7 -inform DER "
       "-print_certs > cert.pem");
    EXPECT_EQ(sh("openssl pkey -inform DER -in key.der -pubout"),
              sh("openssl x509 -in cert.pem -noout -pubkey"));

    EXPECT_EQ(sh("curl -sS -o /dev/null -w '%{http_code}' --cacert pki/root-ca.crt "
                 "-H 'Content-Type: application/pkcs10' --data-binary "
                 "@<(openssl req -in device.csr -outform DER | base64 -w0) " +
                 daemon_.url("/.well-known/est/open/serverkeygen")),
              "404");
}

}  // namespace
}  // namespace estd::testing
