#pragma once

// The recipes' files (deploy/recipes/) and documents (docs/recipes/): the
// tests run the files, and check that each document quotes them verbatim,
// so what an operator copies is what was tested.

#include <filesystem>
#include <map>
#include <string>

#include "support/daemon.hpp"

namespace estd::testing {

inline std::filesystem::path source_path(const std::string& relative) {
    return std::filesystem::path(ESTD_SOURCE_DIR) / relative;
}

// The fenced code blocks of a Markdown document, concatenated with their
// text as written (the fences themselves left out).
inline std::string fenced_blocks(const std::string& markdown) {
    std::string blocks;
    bool inside = false;
    std::size_t start = 0;
    while (start < markdown.size()) {
        auto end = markdown.find('\n', start);
        if (end == std::string::npos) {
            end = markdown.size();
        }
        const std::string line = markdown.substr(start, end - start);
        if (line.rfind("```", 0) == 0) {
            inside = !inside;
            blocks += "\n```\n";  // a separator no file holds
        } else if (inside) {
            blocks += line + "\n";
        }
        start = end + 1;
    }
    return blocks;
}

// `file` (relative to the source tree) appears as one whole code block of
// `document`.
inline bool document_quotes(const std::string& document, const std::string& file) {
    const std::string blocks = fenced_blocks(read_file(source_path(document)));
    return blocks.find("\n```\n" + read_file(source_path(file)) + "\n```\n") != std::string::npos;
}

// Renders a template with envsubst, substituting only `values` (nginx's own
// $variables stay), as the recipe documents do; `values` are exported for
// that one command.
inline std::string envsubst(const std::string& template_file,
                            const std::map<std::string, std::string>& values) {
    std::string exports;
    std::string names;
    for (const auto& [name, value] : values) {
        exports += name + "=" + shell_quote(value) + " ";
        names += "${" + name + "}";
    }
    const auto result = run_command(exports + "envsubst " + shell_quote(names) + " < " +
                                    shell_quote(source_path(template_file).string()));
    return result.exit_code == 0 ? result.output : std::string();
}

// KEY=VALUE lines of an environment file (# comments and blank lines
// skipped), as systemd's EnvironmentFile reads the simple ones.
inline std::map<std::string, std::string> parse_env_file(const std::string& text) {
    std::map<std::string, std::string> env;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        const std::string line = text.substr(start, end - start);
        const auto equals = line.find('=');
        if (!line.empty() && line[0] != '#' && equals != std::string::npos) {
            env[line.substr(0, equals)] = line.substr(equals + 1);
        }
        start = end + 1;
    }
    return env;
}

}  // namespace estd::testing
