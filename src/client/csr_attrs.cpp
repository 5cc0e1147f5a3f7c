// csrattrs answer decoding: a small DER walk, because OpenSSL has no
// template for CsrAttrs (SEQUENCE OF CHOICE { OID, Attribute }).
#include <array>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "estd/client/est_client.hpp"

namespace estd::client {

namespace {

using Asn1ObjectPtr = pki::OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;

struct Tlv {
    int tag = 0;
    int cls = 0;
    bool constructed = false;
    std::span<const std::uint8_t> whole;    // header + content
    std::span<const std::uint8_t> content;  // content only
};

// Reads the TLV at the front of `data` and advances `data` past it.
std::optional<Tlv> read_tlv(std::span<const std::uint8_t>& data) {
    const unsigned char* cursor = data.data();
    long length = 0;
    Tlv tlv;
    const int flags =
        ASN1_get_object(&cursor, &length, &tlv.tag, &tlv.cls, static_cast<long>(data.size()));
    if ((flags & 0x80) != 0 || flags == 0x21) {  // error, or indefinite length (not DER)
        ERR_clear_error();
        return std::nullopt;
    }
    const auto header = static_cast<std::size_t>(cursor - data.data());
    const auto total = header + static_cast<std::size_t>(length);
    if (total > data.size()) {
        return std::nullopt;
    }
    tlv.constructed = (flags & V_ASN1_CONSTRUCTED) != 0;
    tlv.whole = data.subspan(0, total);
    tlv.content = data.subspan(header, static_cast<std::size_t>(length));
    data = data.subspan(total);
    return tlv;
}

bool is_universal(const Tlv& tlv, int tag) {
    return tlv.cls == V_ASN1_UNIVERSAL && tlv.tag == tag;
}

std::optional<std::pair<std::string, std::string>> oid_text(const Tlv& tlv) {
    const unsigned char* cursor = tlv.whole.data();
    Asn1ObjectPtr obj(d2i_ASN1_OBJECT(nullptr, &cursor, static_cast<long>(tlv.whole.size())));
    if (!obj) {
        ERR_clear_error();
        return std::nullopt;
    }
    std::array<char, 128> dotted{};
    std::array<char, 128> name{};
    OBJ_obj2txt(dotted.data(), static_cast<int>(dotted.size()), obj.get(), 1);
    OBJ_obj2txt(name.data(), static_cast<int>(name.size()), obj.get(), 0);
    return std::make_pair(std::string(dotted.data()), std::string(name.data()));
}

// Every OID inside `data`, depth first, looking into constructed values and
// into OCTET STRINGs that hold DER (extension values).
void collect_oids(std::span<const std::uint8_t> data, std::vector<std::string>& out, int depth) {
    if (depth > 8) {
        return;
    }
    while (!data.empty()) {
        auto tlv = read_tlv(data);
        if (!tlv) {
            return;
        }
        if (is_universal(*tlv, V_ASN1_OBJECT)) {
            if (auto text = oid_text(*tlv)) {
                out.push_back(text->second);
            }
        } else if (tlv->constructed || is_universal(*tlv, V_ASN1_OCTET_STRING)) {
            collect_oids(tlv->content, out, depth + 1);
        }
    }
}

Result<CsrAttribute> parse_item(const Tlv& item) {
    CsrAttribute attribute;
    std::span<const std::uint8_t> inner = item.content;
    if (is_universal(item, V_ASN1_OBJECT)) {
        inner = item.whole;
    } else if (!is_universal(item, V_ASN1_SEQUENCE)) {
        return Error::protocol("csrattrs entry is neither an OID nor an Attribute");
    } else {
        attribute.is_attribute = true;
    }
    auto type = read_tlv(inner);
    auto text = type && is_universal(*type, V_ASN1_OBJECT) ? oid_text(*type) : std::nullopt;
    if (!text) {
        return Error::protocol("csrattrs entry does not start with an OID");
    }
    attribute.oid = text->first;
    attribute.name = text->second;
    if (attribute.is_attribute) {
        auto values = read_tlv(inner);
        if (!values || !is_universal(*values, V_ASN1_SET) || !inner.empty()) {
            return Error::protocol("csrattrs attribute " + attribute.name +
                                   " has no SET of values");
        }
        collect_oids(values->content, attribute.values, 0);
    }
    return attribute;
}

}  // namespace

Result<std::vector<CsrAttribute>> parse_csr_attrs(std::span<const std::uint8_t> der) {
    std::span<const std::uint8_t> data = der;
    auto outer = read_tlv(data);
    if (!outer || !is_universal(*outer, V_ASN1_SEQUENCE) || !data.empty()) {
        return Error::protocol("csrattrs answer is not one DER SEQUENCE");
    }
    std::vector<CsrAttribute> items;
    std::span<const std::uint8_t> rest = outer->content;
    while (!rest.empty()) {
        auto item = read_tlv(rest);
        if (!item) {
            return Error::protocol("csrattrs answer has a malformed entry");
        }
        auto parsed = parse_item(*item);
        if (!parsed) {
            return std::move(parsed).take_error();
        }
        items.push_back(std::move(parsed).value());
    }
    return items;
}

}  // namespace estd::client
