// The CLI subcommands. Each Register* function adds one subcommand to the
// application and wires its options to the code that runs it; main.cc only
// calls them. A command's exit code is stored in the shared CommandResult.
// Thread-safety: used from main's thread only.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace promorec::app {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the command ran and found a problem
inline constexpr int kExitUnavailable = 2;  // usage error or a part not built yet

struct CommandResult {
  int exit_code = kExitOk;
};

// Adds `--data-dir DIR` (default ./promorec-data) to `command`.
void AddDataDirOption(CLI::App& command, std::string* data_dir);

void RegisterImportCommand(CLI::App& app, CommandResult& result);
void RegisterDemoCommand(CLI::App& app, CommandResult& result);
void RegisterBenchCommand(CLI::App& app, CommandResult& result);
void RegisterLogCommand(CLI::App& app, CommandResult& result);
void RegisterLakeCommand(CLI::App& app, CommandResult& result);
void RegisterTrainCommand(CLI::App& app, CommandResult& result);
void RegisterScoreCommands(CLI::App& app, CommandResult& result);
void RegisterGenerateCommand(CLI::App& app, CommandResult& result);
void RegisterServeCommand(CLI::App& app, CommandResult& result);
void RegisterAgentCommand(CLI::App& app, CommandResult& result);
// The subcommands whose parts are not built yet: they explain and exit 2.
// Only one subcommand runs, so they share one `data_dir`.
void RegisterPlannedCommands(CLI::App& app, CommandResult& result, std::string* data_dir);

std::string VersionText();

}  // namespace promorec::app
