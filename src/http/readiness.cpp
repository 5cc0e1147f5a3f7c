#include "estd/http/readiness.hpp"

#include <string>
#include <system_error>

namespace estd::http {
namespace {

constexpr std::uintmax_t kMiB = 1024 * 1024;

Error not_ready(std::string why) {
    return Error{ErrorKind::unavailable, {}, std::move(why)};
}

}  // namespace

Readiness::Readiness(std::vector<const issuer::Issuer*> issuers, store::StoreHealth* store,
                     std::filesystem::path data_dir, std::uint64_t min_free_bytes)
    : issuers_(std::move(issuers)),
      store_(store),
      data_dir_(std::move(data_dir)),
      min_free_bytes_(min_free_bytes) {
}

Status Readiness::check() const {
    for (const auto* issuer : issuers_) {
        if (!issuer->ready()) {
            return not_ready("issuer " + issuer->id() + " cannot sign");
        }
    }
    if (store_ != nullptr) {
        if (auto answered = store_->reachable(); !answered) {
            return not_ready("the store cannot be reached: " + answered.error().message);
        }
    }
    if (min_free_bytes_ == 0) {
        return Ok{};
    }
    std::error_code ec;
    const auto space = std::filesystem::space(data_dir_, ec);
    if (ec) {
        return not_ready("the data directory " + data_dir_.string() +
                         " cannot be examined: " + ec.message());
    }
    return check_free_space(data_dir_, space.available, min_free_bytes_);
}

Status check_free_space(const std::filesystem::path& dir, std::uintmax_t available,
                        std::uint64_t min_free_bytes) {
    if (available >= min_free_bytes) {
        return Ok{};
    }
    return not_ready("the data directory " + dir.string() + " has " +
                     std::to_string(available / kMiB) + " MiB available, under the " +
                     std::to_string(min_free_bytes / kMiB) +
                     " MiB kept free for the store and the audit log "
                     "(CERTCTL_DATA_DIR_MIN_FREE_MIB)");
}

}  // namespace estd::http
