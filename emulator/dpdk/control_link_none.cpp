// control_link_none.cpp — ControlLink when lh-emu is built without the control API (no Boost).
#include <stdexcept>

#include "emulator/dpdk/control_link.hpp"

namespace lh::emu {

struct ControlLink::Impl {};

ControlLink::ControlLink(Emulator&, const std::string& address, const std::string&, const std::string&) {
  if (!address.empty()) {
    throw std::runtime_error("lh-emu: --control: this build has no control API (configure with -Dcontrol=enabled)");
  }
}
ControlLink::~ControlLink() = default;
std::string ControlLink::address() const { return {}; }
void ControlLink::stop() noexcept {}

}  // namespace lh::emu
