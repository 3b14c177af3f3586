import ArgumentParser
import RadmindTools

/// Loadsmith's own command line. radmind's tools (fsdiff, lmerge, lcksum, lsort, twhich) are
/// dispatched before this parser runs, with radmind's own option handling.
struct LoadsmithCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loadsmith",
    abstract: "Build, version, promote, roll back and archive radmind loadsets.",
    discussion: """
      Also answers to radmind's tool names: `loadsmith lsort ...` (or a symlink named lsort) behaves exactly as radmind's lsort, with radmind's options, output and exit codes; likewise fsdiff, lmerge, lcksum and twhich (`loadsmith help TOOL` says where Loadsmith departs from radmind).
      """,
    version: loadsmithVersion,
    subcommands: [
      Check.self, Diff.self, Concat.self, Name.self, Init.self, AdoptCommand.self, ImportCommand.self, CaptureCommand.self, BuildCommand.self, Release.self,
      Promote.self, Rollback.self, Status.self, Log.self, Verify.self, CommandGroup.self, Hash.self,
      ArchiveCommand.self, RestoreCommand.self, PruneCommand.self, DSLGroup.self, KeyGroup.self, Recover.self, ServeCommand.self,
      FsdiffHelp.self, LmergeHelp.self, LcksumHelp.self, LsortHelp.self, TwhichHelp.self,
    ])
}
