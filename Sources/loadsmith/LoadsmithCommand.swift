import ArgumentParser
import RadmindTools

/// Loadsmith's own command line. radmind's tools (fsdiff, lmerge, lcksum, lsort, twhich) are
/// dispatched before this parser runs, with radmind's own option handling.
struct LoadsmithCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loadsmith",
    abstract: "Build, version, promote, roll back and archive radmind loadsets.",
    discussion: """
      Also answers to radmind's tool names: `loadsmith lsort ...` (or a symlink named lsort) behaves exactly as radmind's lsort, with radmind's options, output and exit codes; likewise fsdiff, lmerge, lcksum and twhich (`loadsmith help TOOL` says where Loadsmith departs from radmind). `loadsmith --version` prints the version.
      """,
    groupedSubcommands: [
      // `ArgumentParser.` because the `command` subcommand's type is named CommandGroup too.
      ArgumentParser.CommandGroup(name: "Store life cycle", subcommands: [
        Init.self, AdoptCommand.self, ImportCommand.self, CaptureCommand.self, BuildCommand.self, Release.self, Deploy.self, Promote.self, Rollback.self,
        CommandGroup.self, PruneCommand.self, Recover.self, Reindex.self,
      ]),
      ArgumentParser.CommandGroup(name: "Definitive Software Library", subcommands: [
        ArchiveCommand.self, RestoreCommand.self, DSLGroup.self, KeyGroup.self,
      ]),
      ArgumentParser.CommandGroup(name: "Inspection and transcripts", subcommands: [
        Status.self, Log.self, Verify.self, Diff.self, Check.self, Name.self, Hash.self, Concat.self, ServeCommand.self,
      ]),
      ArgumentParser.CommandGroup(name: "radmind tools", subcommands: [
        FsdiffHelp.self, LmergeHelp.self, LcksumHelp.self, LsortHelp.self, TwhichHelp.self,
      ]),
    ])
}
