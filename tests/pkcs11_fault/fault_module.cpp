// A PKCS#11 module for tests: it forwards every call to a real module (the
// file named by ESTD_FAULT_PKCS11_TARGET, SoftHSM2 in the tests) and can
// pretend the token was pulled out. While the file named by
// ESTD_FAULT_PKCS11_CONTROL holds "removed", token and session calls fail
// with CKR_TOKEN_NOT_PRESENT / CKR_DEVICE_REMOVED; at the moment of removal
// every session of the real module is closed, as a real removal does, so
// after "reinsertion" (the file emptied or deleted) the old session handles
// are invalid and the token is logged out: only re-opening sessions and
// logging in again makes it sign.

#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <mutex>
#include <p11-kit/pkcs11.h>
#include <string>
#include <vector>

namespace {

CK_FUNCTION_LIST* real = nullptr;
CK_FUNCTION_LIST wrapped;
std::mutex state_mutex;
bool was_removed = false;

void close_every_session() {
    CK_ULONG count = 0;
    if (real->C_GetSlotList(CK_FALSE, nullptr, &count) != CKR_OK) {
        return;
    }
    std::vector<CK_SLOT_ID> slots(count);
    if (real->C_GetSlotList(CK_FALSE, slots.data(), &count) != CKR_OK) {
        return;
    }
    for (CK_ULONG i = 0; i < count; ++i) {
        real->C_CloseAllSessions(slots[i]);
    }
}

bool removed() {
    const char* control = std::getenv("ESTD_FAULT_PKCS11_CONTROL");
    std::string state;
    if (control != nullptr) {
        std::ifstream in(control);
        std::getline(in, state);
    }
    const bool now_removed = state.rfind("removed", 0) == 0;
    const std::lock_guard lock(state_mutex);
    if (now_removed && !was_removed) {
        close_every_session();
    }
    was_removed = now_removed;
    return now_removed;
}

CK_RV fault_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
    return removed() ? CKR_TOKEN_NOT_PRESENT : real->C_GetTokenInfo(slot, info);
}

CK_RV fault_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO* info) {
    const CK_RV rv = real->C_GetSlotInfo(slot, info);
    if (rv == CKR_OK && removed()) {
        info->flags &= ~static_cast<CK_FLAGS>(CKF_TOKEN_PRESENT);
    }
    return rv;
}

CK_RV fault_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void* app, CK_NOTIFY notify,
                        CK_SESSION_HANDLE* session) {
    return removed() ? CKR_TOKEN_NOT_PRESENT
                     : real->C_OpenSession(slot, flags, app, notify, session);
}

CK_RV fault_GetSessionInfo(CK_SESSION_HANDLE session, CK_SESSION_INFO* info) {
    return removed() ? CKR_DEVICE_REMOVED : real->C_GetSessionInfo(session, info);
}

CK_RV fault_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR* pin, CK_ULONG len) {
    return removed() ? CKR_DEVICE_REMOVED : real->C_Login(session, user, pin, len);
}

CK_RV fault_FindObjectsInit(CK_SESSION_HANDLE session, CK_ATTRIBUTE* tmpl, CK_ULONG count) {
    return removed() ? CKR_DEVICE_REMOVED : real->C_FindObjectsInit(session, tmpl, count);
}

CK_RV fault_SignInit(CK_SESSION_HANDLE session, CK_MECHANISM* mechanism, CK_OBJECT_HANDLE key) {
    return removed() ? CKR_DEVICE_REMOVED : real->C_SignInit(session, mechanism, key);
}

CK_RV fault_Sign(CK_SESSION_HANDLE session, CK_BYTE* data, CK_ULONG length, CK_BYTE* signature,
                 CK_ULONG* signature_length) {
    return removed() ? CKR_DEVICE_REMOVED
                     : real->C_Sign(session, data, length, signature, signature_length);
}

CK_RV load_real() {
    if (real != nullptr) {
        return CKR_OK;
    }
    const char* target = std::getenv("ESTD_FAULT_PKCS11_TARGET");
    void* library = target == nullptr ? nullptr : dlopen(target, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        return CKR_GENERAL_ERROR;
    }
    auto* get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(library, "C_GetFunctionList"));
    if (get_list == nullptr || get_list(&real) != CKR_OK) {
        return CKR_GENERAL_ERROR;
    }
    wrapped = *real;
    wrapped.C_GetTokenInfo = fault_GetTokenInfo;
    wrapped.C_GetSlotInfo = fault_GetSlotInfo;
    wrapped.C_OpenSession = fault_OpenSession;
    wrapped.C_GetSessionInfo = fault_GetSessionInfo;
    wrapped.C_Login = fault_Login;
    wrapped.C_FindObjectsInit = fault_FindObjectsInit;
    wrapped.C_SignInit = fault_SignInit;
    wrapped.C_Sign = fault_Sign;
    return CKR_OK;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST** list) {
    if (list == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (const CK_RV rv = load_real(); rv != CKR_OK) {
        return rv;
    }
    *list = &wrapped;
    return CKR_OK;
}
