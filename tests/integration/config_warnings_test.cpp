// Operators' typos: serve and check-config warn about every CERTCTL_* name
// estd does not know, naming the closest known one.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon.hpp"

namespace estd::testing {
namespace {

namespace fs = std::filesystem;

class ConfigWarningsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = make_temp_dir("estd-config-warnings");
        make_dev_pki(dir_ / "pki", "corp");
    }
    void TearDown() override {
        daemon_.stop();
        fs::remove_all(dir_);
    }

    fs::path dir_;
    Daemon daemon_;
};

TEST_F(ConfigWarningsTest, UnknownTopLevelVariablesAreWarnedAboutInCheckConfigAndServe) {
    auto env = dev_pki_environment(dir_);
    env["CERTCTL_SEVRER_PORT"] = "1";
    env["CERTCTL_FUTURE_FEATURE_ENABLED"] = "value-not-to-repeat";

    const auto checked = Daemon::run_once(env, "check-config");
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_NE(checked.output.find("unknown variable CERTCTL_SEVRER_PORT"), std::string::npos)
        << checked.output;
    EXPECT_NE(checked.output.find("did you mean CERTCTL_SERVER_PORT?"), std::string::npos)
        << checked.output;
    EXPECT_NE(checked.output.find("unknown variable CERTCTL_FUTURE_FEATURE_ENABLED"),
              std::string::npos)
        << checked.output;
    EXPECT_EQ(checked.output.find("value-not-to-repeat"), std::string::npos) << checked.output;

    ASSERT_TRUE(daemon_.start(env)) << daemon_.log();
    const std::string log = daemon_.log();
    EXPECT_NE(log.find("unknown variable CERTCTL_SEVRER_PORT"), std::string::npos) << log;
    EXPECT_NE(log.find("did you mean CERTCTL_SERVER_PORT?"), std::string::npos) << log;
    EXPECT_EQ(log.find("value-not-to-repeat"), std::string::npos) << log;
}

}  // namespace
}  // namespace estd::testing
