// promorec: one program for the whole promotion recommender.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "promorec/app/commands.h"
#include "promorec/base/huge_page_malloc.h"
#include "promorec/base/logging.h"

int main(int argc, char** argv) {
  namespace app = promorec::app;
  promorec::base::UseHugePageMalloc(argv);
  try {
    CLI::App cli("promorec: real-time promotion recommendations from clickstream events",
                 "promorec");
    cli.set_version_flag("--version", app::VersionText());
    cli.require_subcommand(1);
    std::string log_level = "info";
    cli.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
    app::CommandResult result;
    app::RegisterDemoCommand(cli, result);
    app::RegisterImportCommand(cli, result);
    app::RegisterBenchCommand(cli, result);
    app::RegisterLogCommand(cli, result);
    app::RegisterLakeCommand(cli, result);
    app::RegisterTrainCommand(cli, result);
    app::RegisterScoreCommands(cli, result);
    app::RegisterGenerateCommand(cli, result);
    app::RegisterServeCommand(cli, result);
    app::RegisterAgentCommand(cli, result);
    std::string planned_data_dir;
    app::RegisterPlannedCommands(cli, result, &planned_data_dir);
    cli.parse_complete_callback([&log_level] { promorec::base::InitLogging(log_level); });
    try {
      cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int code = cli.exit(e);
      return code == 0 ? 0 : app::kExitUnavailable;
    }
    return result.exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "promorec: internal error: %s\n", e.what());
    return app::kExitFailure;
  }
}
