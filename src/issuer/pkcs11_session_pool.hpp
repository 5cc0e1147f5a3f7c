#pragma once

// Private to src/issuer: the token side of the pkcs11 issuer.
//
// One SessionPool per PKCS#11 module in the process, shared by every issuer
// whose key lives behind that module. Why not one per issuer or per token:
// libp11 keeps a failed session handle in its own per-slot cache for good, so
// the only way to get fresh sessions is to release libp11's slot list, and
// releasing a slot list closes every session on every slot of the module
// (C_CloseAllSessions), which also logs the tokens out. Two pools on one
// module would therefore log each other out on every recovery; one pool
// recovers all of its tokens together, once.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "estd/core/error.hpp"
#include "estd/issuer/pkcs11_uri.hpp"
#include "estd/pki/handles.hpp"

namespace estd::issuer::pkcs11 {

class Module;
struct Member;

// N members, each a libp11 slot list of its own with every registered token
// logged in and every registered key found. libp11 keeps sessions per slot
// handle and a member is leased to one thread at a time, so a member is one
// token session: N leases sign on N sessions at once.
class SessionPool {
  public:
    // Registers the key `uri` names (its module, token and object/id) and
    // returns the pool and the key's index. The first key of a module loads
    // it; the first key of a token logs in with `pin` (a second issuer on the
    // same token must give the same PIN: a token has one login). The pool
    // grows to `size` members. Refusals name the problem: module not
    // loadable, token not found, wrong PIN, key not found or not RSA/EC.
    struct Registration;
    static Result<Registration> register_key(const Pkcs11Uri& uri, std::string pin, unsigned size);

    ~SessionPool();
    SessionPool(const SessionPool&) = delete;
    SessionPool& operator=(const SessionPool&) = delete;

    class Lease {
      public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        ~Lease();
        EVP_PKEY* key() const;
        // Records that the key signed, so /readyz needs no probe for a while.
        void succeeded() { succeeded_ = true; }
        // Signs a test digest; on failure marks the key's token failed and
        // returns 503 naming the token and the CKR code.
        Status probe();

      private:
        friend class SessionPool;
        Lease(SessionPool* pool, Member* member, std::size_t key)
            : pool_(pool), member_(member), key_(key) {}
        SessionPool* pool_;
        Member* member_;
        std::size_t key_;
        bool succeeded_ = false;
    };

    // A member to sign with key `key`, waiting while all are busy. When the
    // key's token has failed, first re-opens the module's sessions (at most
    // once a second); 503 with the reason when the token is still unusable.
    Result<Lease> acquire(std::size_t key);

    // True when key `key`'s token signs; when it has failed, tries to
    // recover. A token that has not signed for a while is probed, so /readyz
    // notices a token that went away while idle.
    bool ready(std::size_t key);

    std::string token_description(std::size_t key) const;
    std::size_t size() const;

  private:
    struct Token {
        Pkcs11Uri attributes;  // token attributes; the key attributes are unused
        std::string pin;       // kept to log in again after a failure; never logged
        std::string description;
        bool failed = false;
        std::string failure;
    };
    struct Key {
        std::size_t token = 0;
        std::optional<std::string> label;
        std::optional<std::vector<std::uint8_t>> id;
        std::string description;
    };
    struct Private {};

  public:
    SessionPool(Private, std::shared_ptr<Module> module);

  private:
    static Result<std::shared_ptr<SessionPool>> for_module(const std::string& module_path);
    Result<std::size_t> add_token(const Pkcs11Uri& uri, std::string pin);
    Result<std::size_t> add_key(std::size_t token, const Pkcs11Uri& uri);
    Status grow_to(std::size_t size);
    Result<std::unique_ptr<Member>> open_member() const;
    Status open_token(Member& member, std::size_t token) const;
    void release(Member* member, bool succeeded);
    Error token_failed(std::size_t key, const std::string& reason);
    // Re-opens every member once nothing is leased; `lock` is held on entry
    // and exit and released during token I/O.
    void recover(std::unique_lock<std::mutex>& lock);
    Error unavailable(const Token& token) const;

    std::shared_ptr<Module> module_;
    std::string module_path_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    // tokens_ and keys_ grow only at boot, before any request.
    std::vector<Token> tokens_;
    std::vector<Key> keys_;
    std::vector<std::unique_ptr<Member>> members_;
    std::vector<Member*> idle_;
    std::size_t size_ = 0;
    std::size_t leased_ = 0;
    bool recovering_ = false;
    std::chrono::steady_clock::time_point last_recovery_attempt_{};
    std::chrono::steady_clock::time_point last_success_{};
};

struct SessionPool::Registration {
    std::shared_ptr<SessionPool> pool;
    std::size_t key = 0;
};

}  // namespace estd::issuer::pkcs11
