import SystemCalls
import RadmindTools
import TranscriptIO

// Multicall: started as `lsort`, `fsdiff`, ... (a symlink), or as `loadsmith lsort ...`, Loadsmith
// behaves exactly as that radmind tool. Everything else is Loadsmith's own command line.
TemporaryFiles.installSignalHandlers()
let argv = CommandLine.arguments
let invokedAs = String(argv[0].split(separator: "/", omittingEmptySubsequences: false).last ?? "")
if let tool = RadmindTools.all[invokedAs] {
  Syscall.exit(tool(ToolContext(program: argv[0], arguments: Array(argv.dropFirst()))))
}
if argv.count > 1, let tool = RadmindTools.all[argv[1]] {
  Syscall.exit(tool(ToolContext(program: argv[1], arguments: Array(argv.dropFirst(2)))))
}
// `--version` is answered here, not by the parser's `version:`: that would add a `--version` flag to
// every subcommand, beside `capture --version VERSION`.
if argv.count == 2, argv[1] == "--version" || argv[1] == "-V" {
  print(loadsmithVersion)
  Syscall.exit(0)
}
LoadsmithCommand.main()
