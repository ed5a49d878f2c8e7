// topology.cpp — see topology.hpp.
#include "lab/topology.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "lab/child_process.hpp"

namespace lh::lab {

Topology::Topology(HostJournal& journal, const std::filesystem::path& script, std::string prefix,
                   const std::filesystem::path& logs)
    : script_(script), prefix_(std::move(prefix)), logs_(logs) {
  journal.topology(prefix_, script_);
  const int rc = run_tool({"bash", script_.string(), "up", "--prefix", prefix_}, logs_ / "topology-up.log", 60000);
  if (rc != 0) {
    const std::string err = read_text(logs_ / "topology-up.log.err");
    run_tool({"bash", script_.string(), "down", "--prefix", prefix_}, logs_ / "topology-down.log", 60000);
    throw std::runtime_error(fmt::format("scripts/topology up --prefix {} failed (exit {}): {}", prefix_, rc, err));
  }
}

Topology::~Topology() {
  for (const char* ns : {"A", "B"}) {  // anything still running in the namespaces
    run_tool({"bash", "-c", fmt::format("ip netns pids {}{} 2>/dev/null | xargs -r kill -9", prefix_, ns)},
             logs_ / "topology-kill.log", 10000);
  }
  run_tool({"bash", script_.string(), "down", "--prefix", prefix_}, logs_ / "topology-down.log", 60000);
}

}  // namespace lh::lab
