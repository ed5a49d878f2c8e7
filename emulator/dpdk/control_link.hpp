// control_link.hpp — `--control ADDR`: runs the HTTP control API (emulator/control) against lh-emu.
//
// With an empty address it does nothing. Built with the control library it starts the Server on
// its own thread with an EmuBackend; built without it, a non-empty address is a setup error.
// `trace_dir` confines the trace files the API may load (none when empty; src/trace_files.hpp);
// `token_file` (mode 0600 or stricter) holds the bearer token every request must carry.
#pragma once

#include <memory>
#include <string>

namespace lh::emu {

class Emulator;

class ControlLink {
 public:
  // Throws std::runtime_error (bad address, address in use, not built with the control API).
  ControlLink(Emulator& emu, const std::string& address, const std::string& trace_dir = {},
              const std::string& token_file = {});
  ~ControlLink();
  ControlLink(const ControlLink&) = delete;
  ControlLink& operator=(const ControlLink&) = delete;

  std::string address() const;   // the bound address ("" when off)
  void stop() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::emu
