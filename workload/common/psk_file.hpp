// psk_file.hpp — reading a pre-shared key for the longhaul transport's protected mode (--psk FILE).
//
// The file holds the key's bytes (at least 16, at most 1024; one trailing newline is not part of the
// key), e.g. `head -c 32 /dev/urandom > lh.key && chmod 600 lh.key`. It must be a regular file that
// only its owner can read or write (mode 0600 or 0400): a key others can read is no secret, and the
// tool refuses it rather than warn. Setup-time code; errors name the file and what is wrong, never
// the file's content.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "workload/common/transport_spec.hpp"

namespace lh::workload {

inline constexpr size_t kMinPskBytes = 16, kMaxPskBytes = 1024;

// Throws std::runtime_error("--psk FILE: ...").
std::shared_ptr<const std::vector<uint8_t>> load_psk_file(const std::string& path);

// The tools' --psk FILE and --auth-only against their --transport: --psk turns protected mode on
// for a plain longhaul name (AES-256-GCM, or GMAC with --auth-only); a +psp name needs --psk.
// Returns the key (null in plaintext). Throws std::invalid_argument for a flag combination that
// makes no sense (a usage error) and std::runtime_error for the file (load_psk_file).
std::shared_ptr<const std::vector<uint8_t>> resolve_protection(TransportSpec& t, const std::string& psk_path,
                                                               bool auth_only);

// Writes a fresh random key (32 bytes from getrandom) to `path`, created 0600 (fails if it exists).
void write_psk_file(const std::string& path);

}  // namespace lh::workload
