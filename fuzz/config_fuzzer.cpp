// The environment as an operator writes it (an env file: NAME=value lines,
// '#' comments) through the value parsers and the whole config::load, which
// reports every refusal. Values naming files are kept inside a temporary
// directory holding a valid CA, TLS key pair and trust bundle; the text after
// a line "%%json" becomes the certificate-profiles JSON file, so that parser
// is fuzzed too.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "estd/config/api_keys.hpp"
#include "estd/config/config.hpp"
#include "estd/config/env_parsing.hpp"
#include "estd/store/postgres_store.hpp"
#include "support/fuzz_support.hpp"

namespace {

namespace env = estd::config::env;

constexpr std::string_view kJsonSeparator = "\n%%json\n";

struct Files {
    std::string dir;
    std::string json_path;
};

const Files& files() {
    static const Files made = [] {
        auto& pki = estd::fuzz::test_pki();
        pki.dir.write("tls.crt", estd::test::certificates_pem({pki.ca_cert.get()}));
        pki.dir.write("tls.key", estd::test::private_key_pem(pki.ca_key.get()));
        pki.dir.write("trust.pem", estd::test::certificates_pem({pki.ca_cert.get()}));
        std::ifstream sample(std::string(ESTD_SOURCE_DIR) + "/config/cert-profiles.sample.json");
        std::stringstream json;
        json << sample.rdbuf();
        pki.dir.write("cert-profiles.json", json.str());
        return Files{pki.dir.path().string(), (pki.dir.path() / "fuzz.json").string()};
    }();
    return made;
}

bool names_a_file(std::string_view name) {
    return name.ends_with("_PATH") || name.ends_with("_FILE") || name.ends_with("_DIR") ||
           name.find("MODULE") != std::string_view::npos;
}

// Only a file name is kept, inside the temporary directory: the fuzzer must
// not make load() read /dev/zero or dlopen anything.
std::string confined_path(std::string_view value) {
    const auto slash = value.rfind('/');
    const auto base = slash == std::string_view::npos ? value : value.substr(slash + 1);
    return files().dir + "/" + std::string(base);
}

// Every value parser on one value; a duration must read back from its
// shortest form.
void parse_value(const std::string& value) {
    (void)env::trim(value);
    (void)env::to_lower(value);
    (void)env::split_list(value);
    (void)env::env_id(value);
    (void)env::parse_bool(value);
    (void)env::parse_unsigned(value);
    (void)env::parse_unsigned(value, 65535);
    (void)env::parse_integer(value);
    (void)env::normalize_cidr(value);
    (void)env::valid_path_id(value);
    (void)estd::config::parse_api_keys(value);
    if (const auto duration = env::parse_duration(value)) {
        if (env::parse_duration(env::format_duration(*duration)) != duration) {
            std::abort();
        }
    }
}

estd::config::Environment read_env_file(std::string_view text) {
    estd::config::Environment environment;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const auto line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        const auto equals = line.find('=');
        if (line.starts_with('#') || equals == std::string_view::npos) {
            continue;
        }
        const std::string name = env::trim(line.substr(0, equals));
        std::string value(line.substr(equals + 1));
        parse_value(value);
        if (names_a_file(name)) {
            value = confined_path(value);
        }
        (void)env::edit_distance(name.substr(0, 64), "CERTCTL_EST_PROFILES");
        environment[name] = std::move(value);
    }
    return environment;
}

void write_json(std::string_view json) {
    std::ofstream out(files().json_path, std::ios::binary | std::ios::trunc);
    out.write(json.data(), static_cast<std::streamsize>(json.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = estd::fuzz::input_text(data, size);
    const auto separator = text.find(kJsonSeparator);
    // Always rewritten, so one input never sees the previous input's file.
    write_json(separator == std::string_view::npos
                   ? std::string_view{}
                   : text.substr(separator + kJsonSeparator.size()));
    text = text.substr(0, separator);
    const auto environment = read_env_file(text);
    // The database URL is read as the daemon has the store read it.
    const auto result = estd::config::load(environment, estd::store::describe_postgres_url);
    if (result.config) {
        (void)estd::config::describe(*result.config);
    }
    return 0;
}
