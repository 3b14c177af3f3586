import Serve

// `loadsmith serve` execs this program (kept apart from `loadsmith`, so the radmind front ends
// never load the web stack); it can be run directly too.
await ServeCommandLine.main(Array(CommandLine.arguments.dropFirst()))
