// tensorpress: compress neural-network tensors and measure what each
// technique buys. Each verb lives in its own cmd_*.cc file.
#include <cstdio>
#include <string>

#include "cli.h"
#include "tensorpress/buffer.h"

namespace {

// Messages must stay one line: a hostile file can put anything in a name.
std::string OneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  tp::RemoveTemporaryFilesOnSignals();
  // zstd's habit: `tensorpress -d FILE.tpz` decompresses.
  std::vector<char*> args(argv, argv + argc);
  static char kDecompress[] = "decompress";
  if (argc > 1 && std::string(argv[1]) == "-d") args[1] = kDecompress;
  argv = args.data();
  CLI::App app{"tensorpress: compress neural-network tensors and measure what each technique buys"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tensorpress 0.1.0");
  std::vector<tp::cli::Command> commands;
  tp::cli::AddInspectCommand(app, commands);
  tp::cli::AddSimulateCommand(app, commands);
  tp::cli::AddSlicesCommand(app, commands);
  tp::cli::AddAstcCommand(app, commands);
  tp::cli::AddAnalyzeCommand(app, commands);
  tp::cli::AddBenchCommand(app, commands);
  tp::cli::AddCompressCommand(app, commands);
  tp::cli::AddEvaluateCommand(app, commands);
  tp::cli::AddPruneCommand(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  for (const auto& cmd : commands) {
    if (!cmd.app->parsed()) continue;
    tp::Status status = cmd.run();
    if (!status.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "tensorpress: error: %s\n", OneLine(status.message()).c_str());
    }
    return tp::cli::ExitCodeFor(status);
  }
  return 1;
}
