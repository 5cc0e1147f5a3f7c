#pragma once

#include <cstddef>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace estd {

// Feeds `bytes` to a Beast request or response parser until one message is
// complete, as a connection's read would, and removes what it used from the
// front of `bytes` (the rest may be a pipelined next message). Where the
// bytes end inside a message, that is the peer's EOF: a body without a
// length ends there, anything else is incomplete. True when the parser holds
// one whole message.
template <class Parser>
bool parse_message(Parser& parser, std::string_view& bytes) {
    boost::beast::error_code ec;
    while (!bytes.empty() && !parser.is_done()) {
        const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
        bytes.remove_prefix(used);
        if (ec == boost::beast::http::error::need_more && used > 0) {
            ec = {};
            continue;
        }
        if (ec == boost::beast::http::error::need_more) {
            break;  // the rest of a header that never comes
        }
        if (ec) {
            return false;
        }
    }
    if (parser.is_done()) {
        return true;
    }
    if (!parser.got_some()) {
        return false;  // put_eof needs at least the start of a message
    }
    parser.put_eof(ec);
    return !ec && parser.is_done();
}

}  // namespace estd
