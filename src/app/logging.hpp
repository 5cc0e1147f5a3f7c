#pragma once

#include "estd/config/config.hpp"

namespace estd::app {

// Operational logs on stderr through spdlog, as text or one JSON object per
// line (CERTCTL_LOG_FORMAT).
void configure_logging(const std::string& level, config::LogFormat format);

}  // namespace estd::app
