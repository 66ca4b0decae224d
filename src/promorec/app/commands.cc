#include "promorec/app/commands.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace promorec::app {

void AddDataDirOption(CLI::App& command, std::string* data_dir) {
  *data_dir = "./promorec-data";
  command.add_option("--data-dir", *data_dir, "data directory")->capture_default_str();
}

std::string VersionText() {
  return std::string("promorec ") + PROMOREC_VERSION + " (" + PROMOREC_BUILD_TYPE + " build)";
}

namespace {

struct Planned {
  const char* name;
  const char* description;
  const char* arrives_with;
  bool uses_data_dir;
};

constexpr Planned kPlanned[] = {
    {"simulate", "drive a running system with synthetic shoppers", "the simulator", true},
    {"models", "list, publish and roll back model versions", "the model registry", true},
};

}  // namespace

void RegisterPlannedCommands(CLI::App& app, CommandResult& result, std::string* data_dir) {
  for (const Planned& planned : kPlanned) {
    CLI::App* command = app.add_subcommand(planned.name, planned.description);
    // Accept any arguments so that the answer is always the honest one below.
    command->allow_extras();
    if (planned.uses_data_dir) AddDataDirOption(*command, data_dir);
    command->final_callback([&result, planned] {
      std::fprintf(stderr, "promorec %s: not built yet in this version; it arrives with %s.\n",
                   planned.name, planned.arrives_with);
      result.exit_code = kExitUnavailable;
    });
  }
}

}  // namespace promorec::app
