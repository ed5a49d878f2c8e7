// topology.hpp — the lab's network namespaces for one run (scripts/topology with the run's prefix):
// journaled before they are made (host_journal.hpp), up in the constructor, down — with anything still
// running inside — in the destructor, always, whatever ends the run.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "lab/host_journal.hpp"

namespace lh::lab {

class Topology {
 public:
  // Throws std::runtime_error with the script's error output when `up` fails (the half-made
  // topology is removed first).
  Topology(HostJournal& journal, const std::filesystem::path& script, std::string prefix, const std::filesystem::path& logs);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  [[nodiscard]] const std::string& prefix() const { return prefix_; }

 private:
  std::filesystem::path script_;
  std::string prefix_;
  std::filesystem::path logs_;
};

}  // namespace lh::lab
