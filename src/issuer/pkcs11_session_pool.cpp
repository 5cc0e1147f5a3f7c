#include "pkcs11_session_pool.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <dlfcn.h>
#include <filesystem>
#include <map>
#include <span>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "estd/core/hex.hpp"
#include "estd/pki/openssl_error.hpp"

// libp11.h declares legacy OpenSSL interfaces (RSA_METHOD, ENGINE); nothing
// here calls a deprecated function, but keep any deprecation note it may
// raise under a newer OpenSSL from failing the -Werror build.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libp11.h>
#pragma GCC diagnostic pop

namespace estd::issuer::pkcs11 {

namespace {

using namespace std::chrono_literals;

// A failed token is re-opened at most this often, so a token that stays
// away is not hammered by every request and /readyz probe.
constexpr auto kRecoveryInterval = 1s;
// /readyz signs a test digest when the token has not signed for this long.
constexpr auto kProbeInterval = 30s;
// How long a request waits for a free session before answering 503.
constexpr auto kLeaseWait = 10s;
// How long a recovery waits for in-flight signatures to come back.
constexpr auto kDrainWait = 30s;

constexpr unsigned long kCkrPinIncorrect = 0xA0;
constexpr unsigned long kCkrPinLocked = 0xA4;
constexpr unsigned long kCkrUserAlreadyLoggedIn = 0x100;

std::string ckr_name(unsigned long rv) {
    static const std::map<unsigned long, const char*> names{
        {0x03, "CKR_SLOT_ID_INVALID"},
        {0x05, "CKR_GENERAL_ERROR"},
        {0x06, "CKR_FUNCTION_FAILED"},
        {0x30, "CKR_DEVICE_ERROR"},
        {0x31, "CKR_DEVICE_MEMORY"},
        {0x32, "CKR_DEVICE_REMOVED"},
        {0x54, "CKR_FUNCTION_NOT_SUPPORTED"},
        {0x60, "CKR_KEY_HANDLE_INVALID"},
        {0x68, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
        {0x70, "CKR_MECHANISM_INVALID"},
        {0x82, "CKR_OBJECT_HANDLE_INVALID"},
        {0xA0, "CKR_PIN_INCORRECT"},
        {0xA1, "CKR_PIN_INVALID"},
        {0xA2, "CKR_PIN_LEN_RANGE"},
        {0xA3, "CKR_PIN_EXPIRED"},
        {0xA4, "CKR_PIN_LOCKED"},
        {0xB0, "CKR_SESSION_CLOSED"},
        {0xB1, "CKR_SESSION_COUNT"},
        {0xB3, "CKR_SESSION_HANDLE_INVALID"},
        {0xE0, "CKR_TOKEN_NOT_PRESENT"},
        {0xE1, "CKR_TOKEN_NOT_RECOGNIZED"},
        {0x101, "CKR_USER_NOT_LOGGED_IN"},
        {0x102, "CKR_USER_PIN_NOT_INITIALIZED"},
        {0x190, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    };
    if (const auto found = names.find(rv); found != names.end()) {
        return found->second;
    }
    std::array<char, 32> hex{};
    std::snprintf(hex.data(), hex.size(), "CKR 0x%lX", rv);
    return hex.data();
}

struct TokenError {
    unsigned long ckr = 0;  // 0: no PKCS#11 return value in the queue
    std::string text;
};

// The first PKCS#11 return value libp11 queued, else OpenSSL's text.
TokenError take_token_error() {
    TokenError found;
    const int ckr_library = ERR_get_CKR_code();
    unsigned long code = 0;
    while ((code = ERR_peek_error()) != 0) {
        if (ERR_GET_LIB(code) == ckr_library) {
            found.ckr = static_cast<unsigned long>(ERR_GET_REASON(code));
            found.text = ckr_name(found.ckr);
            break;
        }
        ERR_get_error();
    }
    const std::string rest = pki::drain_openssl_errors();
    if (found.text.empty()) {
        found.text = rest.empty() ? "no reason given by the module" : rest;
    }
    return found;
}

// Trailing blanks are already stripped by libp11.
std::string text_or_empty(const char* text) {
    return text == nullptr ? std::string() : std::string(text);
}

bool token_matches(const PKCS11_TOKEN& token, unsigned long slot_id, const Pkcs11Uri& uri) {
    return (!uri.token || text_or_empty(token.label) == *uri.token) &&
           (!uri.manufacturer || text_or_empty(token.manufacturer) == *uri.manufacturer) &&
           (!uri.serial || text_or_empty(token.serialnr) == *uri.serial) &&
           (!uri.model || text_or_empty(token.model) == *uri.model) &&
           (!uri.slot_id || slot_id == *uri.slot_id);
}

bool key_matches(const PKCS11_KEY& key, const std::optional<std::string>& label,
                 const std::optional<std::vector<std::uint8_t>>& id) {
    if (label && text_or_empty(key.label) != *label) {
        return false;
    }
    if (id) {
        const std::span<const unsigned char> key_id(key.id, key.id == nullptr ? 0 : key.id_len);
        return std::equal(key_id.begin(), key_id.end(), id->begin(), id->end());
    }
    return true;
}

std::string describe_present_key(const PKCS11_KEY& key) {
    std::string text = "\"" + text_or_empty(key.label) + "\"";
    if (key.id != nullptr && key.id_len > 0) {
        text += " id " + to_hex(std::span(key.id, key.id_len));
    }
    return text;
}

}  // namespace

// One loaded PKCS#11 module (C_Initialize'd once per process: a second
// PKCS11_CTX on the same library would C_Finalize it under the first).
class Module {
  public:
    explicit Module(PKCS11_CTX* ctx) : ctx_(ctx) {}
    ~Module() {
        PKCS11_CTX_unload(ctx_);
        PKCS11_CTX_free(ctx_);
    }
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;
    PKCS11_CTX* ctx() const { return ctx_; }

    static Result<std::shared_ptr<Module>> open(const std::string& path) {
        static std::mutex mutex;
        static std::map<std::string, std::weak_ptr<Module>> loaded;
        const std::lock_guard lock(mutex);
        if (auto existing = loaded[path].lock()) {
            return existing;
        }
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            return Error::internal("cannot load the PKCS#11 module " + path +
                                   ": no such file (check module-path in the URI)");
        }
        if (auto loadable = check_loadable(path); !loadable) {
            return std::move(loadable).take_error();
        }
        PKCS11_CTX* ctx = PKCS11_CTX_new();
        if (ctx == nullptr) {
            return Error::internal("cannot load the PKCS#11 module " + path + ": out of memory");
        }
        if (PKCS11_CTX_load(ctx, path.c_str()) != 0) {
            PKCS11_CTX_free(ctx);
            return Error::internal("cannot load the PKCS#11 module " + path +
                                   ": its C_Initialize failed (" + take_token_error().text + ")");
        }
        auto module = std::make_shared<Module>(ctx);
        loaded[path] = module;
        return module;
    }

  private:
    // libp11 only says that loading failed; dlopen says why.
    static Status check_loadable(const std::string& path) {
        void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr) {
            const char* why = dlerror();
            return Error::internal("cannot load the PKCS#11 module " + path +
                                   ": it is not a loadable library (" +
                                   (why != nullptr ? why : "dlopen failed") + ")");
        }
        const bool has_entry = dlsym(library, "C_GetFunctionList") != nullptr;
        dlclose(library);
        if (!has_entry) {
            return Error::internal("cannot load the PKCS#11 module " + path +
                                   ": it is not a PKCS#11 module (no C_GetFunctionList)");
        }
        return Ok{};
    }

    PKCS11_CTX* ctx_;
};

// libp11's slot list; releasing it closes every session of its slots.
class SlotList {
  public:
    explicit SlotList(PKCS11_CTX* ctx) : ctx_(ctx) {}
    ~SlotList() {
        if (slots_ != nullptr) {
            PKCS11_release_all_slots(ctx_, slots_, count_);
        }
    }
    SlotList(const SlotList&) = delete;
    SlotList& operator=(const SlotList&) = delete;

    Status enumerate() {
        if (PKCS11_enumerate_slots(ctx_, &slots_, &count_) != 0) {
            slots_ = nullptr;
            count_ = 0;
            return Error::internal("cannot list the module's slots (" + take_token_error().text +
                                   ")");
        }
        return Ok{};
    }
    std::span<PKCS11_SLOT> slots() const { return {slots_, count_}; }

  private:
    PKCS11_CTX* ctx_;
    PKCS11_SLOT* slots_ = nullptr;
    unsigned int count_ = 0;
};

// One pool member. Keys are declared after the slot list so they are
// released first: libp11's key objects live in the slot list.
struct Member {
    explicit Member(PKCS11_CTX* ctx) : slots(ctx) {}
    SlotList slots;
    std::vector<PKCS11_SLOT*> token_slots;  // per registered token
    std::vector<pki::EvpPkeyPtr> keys;      // per registered key
};

namespace {

Result<PKCS11_SLOT*> find_token(const SlotList& list, const Pkcs11Uri& uri) {
    std::vector<PKCS11_SLOT*> matches;
    std::string present;
    for (auto& slot : list.slots()) {
        if (slot.token == nullptr || slot.token->initialized == 0) {
            continue;
        }
        present += (present.empty() ? "\"" : ", \"") + text_or_empty(slot.token->label) +
                   "\" (serial " + text_or_empty(slot.token->serialnr) + ")";
        if (token_matches(*slot.token, PKCS11_get_slotid_from_slot(&slot), uri)) {
            matches.push_back(&slot);
        }
    }
    if (matches.empty()) {
        return Error::internal("token not found: no token matching " + uri.describe_token() +
                               " in " + uri.module_path +
                               " (tokens present: " + (present.empty() ? "none" : present) + ")");
    }
    if (matches.size() > 1) {
        return Error::internal(std::to_string(matches.size()) + " tokens match " +
                               uri.describe_token() + " in " + uri.module_path + " (" + present +
                               "); add token= or serial= to the URI");
    }
    return matches.front();
}

Status login(PKCS11_SLOT* slot, const std::string& pin, const std::string& token) {
    if (PKCS11_login(slot, 0, pin.c_str()) == 0) {
        return Ok{};
    }
    const auto error = take_token_error();
    if (error.ckr == kCkrUserAlreadyLoggedIn) {
        return Ok{};  // another member of the pool logged the token in
    }
    if (error.ckr == kCkrPinIncorrect) {
        return Error::internal("wrong PIN: token " + token +
                               " refused the login (CKR_PIN_INCORRECT); check the PIN file or "
                               "variable");
    }
    if (error.ckr == kCkrPinLocked) {
        return Error::internal("token " + token +
                               " has locked its user PIN (CKR_PIN_LOCKED); the token's security "
                               "officer must unlock it");
    }
    return Error::internal("cannot log in to token " + token + " (" + error.text + ")");
}

Result<pki::EvpPkeyPtr> find_key(PKCS11_SLOT* slot, const std::optional<std::string>& label,
                                 const std::optional<std::vector<std::uint8_t>>& id,
                                 const std::string& description, const std::string& token) {
    PKCS11_KEY* keys = nullptr;
    unsigned int count = 0;
    if (PKCS11_enumerate_keys(slot->token, &keys, &count) != 0) {
        return Error::internal("cannot list the private keys on token " + token + " (" +
                               take_token_error().text + ")");
    }
    std::vector<PKCS11_KEY*> matches;
    std::string present;
    for (auto& key : std::span(keys, count)) {
        present += (present.empty() ? "" : ", ") + describe_present_key(key);
        if (key_matches(key, label, id)) {
            matches.push_back(&key);
        }
    }
    if (matches.empty()) {
        return Error::internal(
            "key not found: no private key with " + description + " on token " + token +
            " (private keys there: " + (present.empty() ? "none" : present) + ")");
    }
    if (matches.size() > 1) {
        return Error::internal(std::to_string(matches.size()) + " private keys match " +
                               description + " on token " + token +
                               "; give both object= and id= in the URI");
    }
    const int type = PKCS11_get_key_type(matches.front());
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
        return Error::internal("the private key with " + description + " on token " + token +
                               " is neither RSA nor EC; estd signs with RSA and ECDSA token keys");
    }
    pki::EvpPkeyPtr key(PKCS11_get_private_key(matches.front()));
    if (!key) {
        return Error::internal("cannot use the private key with " + description + " on token " +
                               token + " (" + take_token_error().text + ")");
    }
    return key;
}

// 503 with a hint when to come back: a recovery is tried at most once a
// second, and most clients back off longer than that anyway.
Error busy(std::string message) {
    Error error{ErrorKind::unavailable, {}, std::move(message)};
    error.retry_after = std::chrono::seconds(5);
    return error;
}

std::string describe_token(const Pkcs11Uri& uri) {
    return uri.token ? "\"" + *uri.token + "\"" : "(" + uri.describe_token() + ")";
}

bool same_token(const Pkcs11Uri& a, const Pkcs11Uri& b) {
    return a.token == b.token && a.manufacturer == b.manufacturer && a.serial == b.serial &&
           a.model == b.model && a.slot_id == b.slot_id;
}

}  // namespace

SessionPool::SessionPool(Private, std::shared_ptr<Module> module) : module_(std::move(module)) {
}

SessionPool::~SessionPool() {
    // Keys and slot lists go before the module is unloaded.
    idle_.clear();
    members_.clear();
    for (auto& token : tokens_) {
        OPENSSL_cleanse(token.pin.data(), token.pin.size());
    }
}

Result<std::shared_ptr<SessionPool>> SessionPool::for_module(const std::string& module_path) {
    // Guarded by register_key's lock.
    static std::map<std::string, std::weak_ptr<SessionPool>> pools;
    auto& slot = pools[module_path];
    if (auto existing = slot.lock()) {
        return existing;
    }
    auto module = Module::open(module_path);
    if (!module) {
        return std::move(module).take_error();
    }
    auto pool = std::make_shared<SessionPool>(Private{}, std::move(module).value());
    pool->module_path_ = module_path;
    slot = pool;
    return pool;
}

Result<SessionPool::Registration> SessionPool::register_key(const Pkcs11Uri& uri, std::string pin,
                                                            unsigned size) {
    // Whatever is left of the caller's copy of the PIN is wiped on return.
    struct Wipe {
        std::string& text;
        ~Wipe() { OPENSSL_cleanse(text.data(), text.size()); }
    } wipe{pin};
    static std::mutex mutex;
    const std::lock_guard registry_lock(mutex);
    auto pool = for_module(uri.module_path);
    if (!pool) {
        return std::move(pool).take_error();
    }
    SessionPool& p = **pool;
    const std::lock_guard lock(p.mutex_);
    // Members first, so a new token is opened on each of them below.
    if (auto grown = p.grow_to(std::max<std::size_t>(size, 1)); !grown) {
        return std::move(grown).take_error();
    }
    auto token = p.add_token(uri, std::move(pin));
    if (!token) {
        return std::move(token).take_error();
    }
    auto key = p.add_key(*token, uri);
    if (!key) {
        return std::move(key).take_error();
    }
    p.last_success_ = std::chrono::steady_clock::now();
    return Registration{std::move(pool).value(), *key};
}

Result<std::unique_ptr<Member>> SessionPool::open_member() const {
    auto member = std::make_unique<Member>(module_->ctx());
    if (auto listed = member->slots.enumerate(); !listed) {
        Error error = std::move(listed).take_error();
        error.message = "module " + module_path_ + ": " + error.message;
        return error;
    }
    member->token_slots.assign(tokens_.size(), nullptr);
    member->keys.resize(keys_.size());
    return member;
}

Status SessionPool::open_token(Member& member, std::size_t token) const {
    const Token& wanted = tokens_[token];
    auto slot = find_token(member.slots, wanted.attributes);
    if (!slot) {
        return std::move(slot).take_error();
    }
    if (auto logged_in = login(*slot, wanted.pin, wanted.description); !logged_in) {
        return logged_in;
    }
    member.token_slots[token] = *slot;
    for (std::size_t k = 0; k < keys_.size(); ++k) {
        if (keys_[k].token != token) {
            continue;
        }
        auto key =
            find_key(*slot, keys_[k].label, keys_[k].id, keys_[k].description, wanted.description);
        if (!key) {
            return std::move(key).take_error();
        }
        member.keys[k] = std::move(key).value();
    }
    return Ok{};
}

// Boot only (mutex_ held): new members open every registered token.
Status SessionPool::grow_to(std::size_t size) {
    while (members_.size() < size) {
        auto member = open_member();
        if (!member) {
            return std::move(member).take_error();
        }
        for (std::size_t t = 0; t < tokens_.size(); ++t) {
            if (auto opened = open_token(**member, t); !opened) {
                return opened;
            }
        }
        idle_.push_back(member->get());
        members_.push_back(std::move(member).value());
    }
    size_ = std::max(size_, size);
    return Ok{};
}

// Boot only (mutex_ held).
Result<std::size_t> SessionPool::add_token(const Pkcs11Uri& uri, std::string pin) {
    for (std::size_t t = 0; t < tokens_.size(); ++t) {
        if (same_token(tokens_[t].attributes, uri)) {
            const bool same_pin = tokens_[t].pin == pin;
            OPENSSL_cleanse(pin.data(), pin.size());
            if (!same_pin) {
                return Error::internal("another issuer already uses token " +
                                       tokens_[t].description +
                                       " with a different PIN; a token has one login, so "
                                       "issuers on the same token need the same PIN");
            }
            return t;
        }
    }
    Token added;
    added.attributes = uri;
    added.pin = std::move(pin);
    added.description = describe_token(uri);
    tokens_.push_back(std::move(added));
    const std::size_t token = tokens_.size() - 1;
    for (const auto& member : members_) {
        member->token_slots.push_back(nullptr);
        if (auto opened = open_token(*member, token); !opened) {
            // Leave the pool as it was; the boot is refused anyway.
            for (const auto& m : members_) {
                m->token_slots.resize(token);
            }
            OPENSSL_cleanse(tokens_.back().pin.data(), tokens_.back().pin.size());
            tokens_.pop_back();
            return std::move(opened).take_error();
        }
    }
    return token;
}

// Boot only (mutex_ held).
Result<std::size_t> SessionPool::add_key(std::size_t token, const Pkcs11Uri& uri) {
    Key wanted;
    wanted.token = token;
    wanted.label = uri.object;
    wanted.id = uri.id;
    wanted.description = uri.describe_key();
    std::vector<pki::EvpPkeyPtr> found;
    for (const auto& member : members_) {
        auto key = find_key(member->token_slots[token], wanted.label, wanted.id, wanted.description,
                            tokens_[token].description);
        if (!key) {
            return std::move(key).take_error();
        }
        found.push_back(std::move(key).value());
    }
    for (std::size_t i = 0; i < members_.size(); ++i) {
        members_[i]->keys.push_back(std::move(found[i]));
    }
    keys_.push_back(std::move(wanted));
    return keys_.size() - 1;
}

std::size_t SessionPool::size() const {
    const std::lock_guard lock(mutex_);
    return size_;
}

std::string SessionPool::token_description(std::size_t key) const {
    const std::lock_guard lock(mutex_);
    return tokens_[keys_[key].token].description;
}

Error SessionPool::unavailable(const Token& token) const {
    return busy("the PKCS#11 token " + token.description + " is unavailable (" + token.failure +
                "); estd re-opens its sessions and logs in again by itself: retry later");
}

Result<SessionPool::Lease> SessionPool::acquire(std::size_t key) {
    std::unique_lock lock(mutex_);
    const Token& token = tokens_[keys_[key].token];
    if (token.failed) {
        recover(lock);
    }
    const auto deadline = std::chrono::steady_clock::now() + kLeaseWait;
    while (token.failed || recovering_ || idle_.empty()) {
        if (token.failed && !recovering_) {
            return unavailable(token);
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
            if (token.failed) {
                return unavailable(token);
            }
            if (recovering_ || idle_.empty()) {
                return busy("all " + std::to_string(size_) + " sessions of the PKCS#11 module " +
                            module_path_ + " stayed busy for " +
                            std::to_string(kLeaseWait.count()) + " s; retry later");
            }
        }
    }
    Member* member = idle_.back();
    idle_.pop_back();
    ++leased_;
    return Lease(this, member, key);
}

void SessionPool::release(Member* member, bool succeeded) {
    const std::lock_guard lock(mutex_);
    idle_.push_back(member);
    --leased_;
    if (succeeded) {
        last_success_ = std::chrono::steady_clock::now();
    }
    changed_.notify_all();
}

Error SessionPool::token_failed(std::size_t key, const std::string& reason) {
    const std::lock_guard lock(mutex_);
    Token& token = tokens_[keys_[key].token];
    if (!token.failed) {
        token.failed = true;
        token.failure = reason;
        spdlog::warn("PKCS#11 token {} failed ({}); answering 503 until it is re-opened",
                     token.description, reason);
    }
    changed_.notify_all();
    return unavailable(token);
}

void SessionPool::recover(std::unique_lock<std::mutex>& lock) {
    const auto now = std::chrono::steady_clock::now();
    if (recovering_ || now - last_recovery_attempt_ < kRecoveryInterval) {
        return;
    }
    last_recovery_attempt_ = now;
    recovering_ = true;
    // Leased members hold keys of the old slot lists: wait for them.
    if (!changed_.wait_for(lock, kDrainWait, [this] { return leased_ == 0; })) {
        recovering_ = false;
        changed_.notify_all();
        return;
    }
    auto old = std::move(members_);
    members_.clear();
    idle_.clear();
    lock.unlock();
    // Releasing the old slot lists closes every session of the module (and
    // so logs its tokens out) before new ones are opened and logged in.
    old.clear();
    std::vector<std::unique_ptr<Member>> fresh;
    std::vector<std::optional<Error>> token_errors(tokens_.size());
    std::optional<Error> module_error;
    while (fresh.size() < size_ && !module_error) {
        auto member = open_member();
        if (!member) {
            module_error = std::move(member).take_error();
            break;
        }
        for (std::size_t t = 0; t < tokens_.size(); ++t) {
            if (token_errors[t]) {
                continue;
            }
            if (auto opened = open_token(**member, t); !opened) {
                token_errors[t] = std::move(opened).take_error();
            }
        }
        fresh.push_back(std::move(member).value());
    }
    lock.lock();
    recovering_ = false;
    if (module_error) {
        fresh.clear();
    }
    for (std::size_t t = 0; t < tokens_.size(); ++t) {
        Token& token = tokens_[t];
        const std::optional<Error>& error = module_error ? module_error : token_errors[t];
        if (error) {
            token.failed = true;
            token.failure = "re-opening failed: " + error->message;
            spdlog::warn("PKCS#11 token {}: {}; retrying later", token.description, token.failure);
        } else if (token.failed) {
            token.failed = false;
            token.failure.clear();
            spdlog::info("PKCS#11 token {}: sessions re-opened and logged in again",
                         token.description);
        }
    }
    members_ = std::move(fresh);
    for (const auto& member : members_) {
        idle_.push_back(member.get());
    }
    last_success_ = std::chrono::steady_clock::now();
    changed_.notify_all();
}

bool SessionPool::ready(std::size_t key) {
    std::unique_lock lock(mutex_);
    const Token& token = tokens_[keys_[key].token];
    if (token.failed) {
        recover(lock);
        return !token.failed;
    }
    if (recovering_ || idle_.empty() ||
        std::chrono::steady_clock::now() - last_success_ < kProbeInterval) {
        return true;  // signed recently, or signing right now
    }
    Member* member = idle_.back();
    idle_.pop_back();
    ++leased_;
    lock.unlock();
    Lease lease(this, member, key);
    return lease.probe().ok();
}

SessionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      member_(std::exchange(other.member_, nullptr)),
      key_(other.key_),
      succeeded_(other.succeeded_) {
}

SessionPool::Lease::~Lease() {
    if (pool_ != nullptr) {
        pool_->release(member_, succeeded_);
    }
}

EVP_PKEY* SessionPool::Lease::key() const {
    return member_->keys.at(key_).get();
}

Status SessionPool::Lease::probe() {
    std::array<unsigned char, 32> digest{};
    std::array<unsigned char, 1024> signature{};
    std::size_t length = signature.size();
    pki::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key(), nullptr));
    const bool signed_ok =
        ctx && EVP_PKEY_sign_init(ctx.get()) > 0 &&
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) > 0 &&
        EVP_PKEY_sign(ctx.get(), signature.data(), &length, digest.data(), digest.size()) > 0;
    if (signed_ok) {
        succeeded_ = true;
        return Ok{};
    }
    return pool_->token_failed(key_, "signing failed: " + take_token_error().text);
}

}  // namespace estd::issuer::pkcs11
