#pragma once
// What the recipe tests (docs/recipes/) share: the recipe's files in
// deploy/recipes/, the documents that quote them, estd's environment file.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_test.hpp"
#include "support/test_pki.hpp"

namespace estd::testing::recipes {

namespace fs = std::filesystem;

inline fs::path source_path(const std::string& relative) {
    return fs::path(ESTD_SOURCE_DIR) / relative;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// estd's CA for a recipe test in `dir`: root-ca.crt, ca.crt, ca-chain.crt
// (issuing CA, root), ca.key; both made valid from an hour ago. estd never
// dates a certificate before its CA's NotBefore, so with a CA made this
// second (scripts/dev-pki.sh) its five-minute backdate would be cut off and
// every lifetime the recipes check would come out short. The TLS listener
// keeps scripts/dev-pki.sh's material (pki/).
inline void make_issuing_ca(const fs::path& dir, const std::string& name) {
    auto root_key = test::make_ec_key();
    auto root = test::make_self_signed_ca(name + " Root CA", root_key.get());
    auto key = test::make_ec_key();
    auto ca = test::make_intermediate(name + " Issuing CA", key.get(), root.get(), root_key.get());
    fs::create_directories(dir);
    write_file(dir / "root-ca.crt", test::certificates_pem({root.get()}));
    write_file(dir / "ca.crt", test::certificates_pem({ca.get()}));
    write_file(dir / "ca-chain.crt", test::certificates_pem({ca.get(), root.get()}));
    write_file(dir / "ca.key", test::private_key_pem(key.get()));
}

inline Daemon::Environment recipe_environment(const fs::path& dir) {
    auto env = dev_pki_environment(dir);
    env["CERTCTL_CA_CERT_PATH"] = (dir / "ca" / "ca-chain.crt").string();
    env["CERTCTL_CA_KEY_PATH"] = (dir / "ca" / "ca.key").string();
    return env;
}

// `deploy/recipes/render.sh TEMPLATE OUTPUT NAME=value...`, as the documents
// show it; the output of a failure is the test's failure message.
inline void render(const std::string& template_path, const fs::path& output,
                   const std::map<std::string, std::string>& values) {
    std::string command = shell_quote(source_path("deploy/recipes/render.sh").string()) + " " +
                          shell_quote(template_path) + " " + shell_quote(output.string());
    for (const auto& [name, value] : values) {
        command += " " + shell_quote(name + "=" + value);
    }
    const auto result = run_command(command + " 2>&1");
    ASSERT_EQ(result.exit_code, 0) << command << "\n" << result.output;
}

// A systemd EnvironmentFile as estd.env is written: NAME=value lines,
// blank lines and # comments.
inline Daemon::Environment read_environment_file(const fs::path& path) {
    Daemon::Environment env;
    std::istringstream lines(read_file(path));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto equals = line.find('=');
        EXPECT_NE(equals, std::string::npos) << path << ": " << line;
        if (equals != std::string::npos) {
            env[line.substr(0, equals)] = line.substr(equals + 1);
        }
    }
    return env;
}

// Every file of `recipe_dir` is quoted in `document`, and every quoted file
// (render.sh too, where a document shows it) exactly as it is: a line `<!-- file: PATH -->` (PATH
// relative to the checkout) followed by a fenced block whose content is the file's. A document that
// drifts from the files the test runs fails here.
inline void expect_document_quotes(const std::string& document, const std::string& recipe_dir) {
    std::set<std::string> expected;
    for (const auto& entry : fs::directory_iterator(source_path(recipe_dir))) {
        expected.insert(recipe_dir + "/" + entry.path().filename().string());
    }
    const std::string text = read_file(source_path(document));
    const std::string marker = "<!-- file: ";
    std::set<std::string> quoted;
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
        const auto name_end = text.find(" -->", at);
        ASSERT_NE(name_end, std::string::npos) << document << ": unterminated marker";
        const std::string path = text.substr(at + marker.size(), name_end - at - marker.size());
        // The fence opens on the next line (```sh, ```text, ...) and closes
        // with a line that is exactly ```.
        const auto fence = text.find("\n```", name_end);
        ASSERT_NE(fence, std::string::npos) << document << ": no block after " << path;
        ASSERT_EQ(text.substr(name_end + 4, fence - name_end - 4).find_first_not_of(" \n"),
                  std::string::npos)
            << document << ": the block must follow the marker for " << path;
        const auto body = text.find('\n', fence + 1) + 1;
        const auto close = text.find("\n```\n", body - 1);
        ASSERT_NE(close, std::string::npos) << document << ": unclosed block for " << path;
        const std::string block = text.substr(body, close + 1 - body);
        ASSERT_TRUE(fs::exists(source_path(path))) << document << " quotes a missing " << path;
        EXPECT_EQ(block, read_file(source_path(path)))
            << document << ": the quoted " << path << " differs from the file";
        quoted.insert(path);
    }
    for (const auto& path : expected) {
        EXPECT_TRUE(quoted.count(path) == 1) << document << " does not quote " << path;
    }
}

// A recipe test's fixture: its directory (where the commands run), estd,
// and the recipe's scripts run with the environment they expect (EST_SERVER,
// EST_CA, ESTCTL, CERTCTL_API_KEY and the recipe's `extra_environment`).
class RecipeTest : public DaemonTest {
  protected:
    RecipeTest(std::string recipe_dir, std::string admin_key, std::string extra_environment = {})
        : recipe_dir_(std::move(recipe_dir)),
          admin_key_(std::move(admin_key)),
          extra_environment_(std::move(extra_environment)) {}

    std::string recipe(const std::string& file) const {
        return source_path(recipe_dir_ + "/" + file).string();
    }
    CommandResult run(const std::string& command,
                      std::chrono::seconds timeout = kCommandTimeout) override {
        const std::string env = "export EST_SERVER=" + daemon_.url("") +
                                " EST_CA=pki/root-ca.crt ESTCTL=" + ESTCTL_BINARY +
                                " CERTCTL_API_KEY=" + admin_key_ + " " + extra_environment_ + "; ";
        return run_command(
            "cd " + shell_quote(dir_.string()) + " && " + env + "{ " + command + "\n} 2>&1",
            timeout);
    }
    std::string serial_of(const std::string& cert) {
        return sh("openssl x509 -in " + cert + " -noout -serial");
    }

    // factory-ca.{crt,key}: the factory CA that signed the devices'
    // bootstrap certificates.
    void make_factory_ca() {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out factory-ca.key && "
           "openssl req -x509 -new -key factory-ca.key -subj '/O=Example Factory/CN=Factory CA' "
           "-days 3650 -addext basicConstraints=critical,CA:true "
           "-addext keyUsage=critical,keyCertSign -out factory-ca.crt");
    }
    // DIR/factory.{crt,key}: a device's bootstrap certificate (clientAuth).
    void factory_certificate(const std::string& dir, const std::string& cn,
                             const std::string& serial_number) {
        sh("openssl ecparam -name prime256v1 -genkey -noout -out " + dir +
           "/factory.key && openssl req -new -key " + dir + "/factory.key -subj '/CN=" + cn +
           "/serialNumber=" + serial_number +
           "' | openssl x509 -req -CA factory-ca.crt -CAkey factory-ca.key -CAcreateserial "
           "-days 3650 -extfile <(printf 'extendedKeyUsage=clientAuth\\n') -out " +
           dir + "/factory.crt 2>/dev/null");
    }

  private:
    std::string recipe_dir_;
    std::string admin_key_;
    std::string extra_environment_;
};

}  // namespace estd::testing::recipes
