#pragma once
// The fixture most daemon tests share: a directory of their own (dir_, where
// the commands run) and the real estd (daemon_), whose log a failing test
// prints.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon.hpp"

namespace estd::testing {

class DaemonTest : public ::testing::Test {
  protected:
    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "---- estd log ----\n" << daemon_.log() << "\n";
        }
        daemon_.stop();
        // A skipped SetUp may leave no directory.
        if (!dir_.empty()) {
            std::filesystem::remove_all(dir_);
        }
    }

    static constexpr std::chrono::seconds kCommandTimeout{60};

    // `command` run by bash in dir_.
    virtual CommandResult run(const std::string& command,
                              std::chrono::seconds timeout = kCommandTimeout) {
        return run_command("cd '" + dir_.string() + "' && " + command, timeout);
    }
    // The output of `command`, failing the test on a non-zero exit.
    std::string sh(const std::string& command, std::chrono::seconds timeout = kCommandTimeout) {
        auto result = run(command, timeout);
        EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
        return result.output;
    }
    int sh_status(const std::string& command) { return run(command).exit_code; }

    std::string p(const std::string& relative) const { return (dir_ / relative).string(); }
    // The trust anchor of scripts/dev-pki.sh's material in dir_/pki.
    std::string cacert() const { return p("pki/root-ca.crt"); }
    std::string host() const { return "https://127.0.0.1:" + std::to_string(daemon_.port()); }

    std::filesystem::path dir_;
    Daemon daemon_;
};

}  // namespace estd::testing
