#pragma once

#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/pki/handles.hpp"

namespace estd::pki {

// A set of trust anchors that verifies client certificate chains at the
// current time. Immutable after construction, so it is shared across
// threads without locks and swapped whole on reload.
class ChainVerifier {
  public:
    // Anchors may be intermediates: a chain ending at any of them verifies.
    static Result<ChainVerifier> from_certificates(std::vector<X509Ptr> anchors);

    // Ok, or the reason the chain does not verify (expired, unknown issuer, ...).
    Status verify(X509* leaf, STACK_OF(X509) * untrusted) const;
    const std::vector<X509Ptr>& anchors() const { return anchors_; }

  private:
    ChainVerifier(X509StorePtr store, std::vector<X509Ptr> anchors)
        : store_(std::move(store)), anchors_(std::move(anchors)) {}
    X509StorePtr store_;
    std::vector<X509Ptr> anchors_;
};

}  // namespace estd::pki
