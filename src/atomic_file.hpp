// atomic_file.hpp — replace a file's contents all at once: written to a temporary name beside it,
// flushed to disk, then renamed over it (rename(2) is atomic within a file system). A process killed
// while writing leaves the old file whole (and at most a stray "<name>.tmp.<pid>"), never half of
// each. For reports, baselines and journals; not for the datapath.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace lh {

// Writes `text` to `path` atomically. Throws std::runtime_error naming the path and the reason.
void write_file_atomic(const std::filesystem::path& path, std::string_view text);

// Same, with the contents produced by `fill` into a stream (for large outputs).
void write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& fill);

// Creates a new directory `parent`/`name` — or, when that exists, `name`-2, `name`-3, ... — with
// mkdir(2), which fails on an existing entry: two processes racing for one name get two folders,
// never the same one. Creates `parent` first if needed. Returns the folder made; throws
// std::runtime_error naming the path when it cannot (after 1000 names).
std::filesystem::path create_unique_dir(const std::filesystem::path& parent, const std::string& name);

}  // namespace lh
