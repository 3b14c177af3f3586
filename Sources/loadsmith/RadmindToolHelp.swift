import ArgumentParser

/// Help pages for radmind's tools. `loadsmith TOOL ...` never reaches these types (main.swift
/// hands it to the radmind front end, which keeps radmind's own option handling, so
/// `lcksum --help` stays a usage error as in radmind); they exist so that `loadsmith help TOOL`
/// can say what the tool does and where Loadsmith departs from radmind.
protocol RadmindToolHelp: ParsableCommand {}

extension RadmindToolHelp {
  mutating func run() throws {
    print("Run `loadsmith \(Self.configuration.commandName ?? "")` with radmind's options; see `loadsmith help \(Self.configuration.commandName ?? "")`.")
  }
}

struct FsdiffHelp: RadmindToolHelp {
  static let configuration = CommandConfiguration(
    commandName: "fsdiff",
    abstract: "radmind's fsdiff: capture a tree as a transcript, or compare it with a command file's transcripts.",
    usage: "fsdiff { -C | -A | -1 } [ -IVWt ] [ -K command.K ] [ -c digest ] [ -o file [ -% ] ] path",
    discussion: """
      Exactly radmind's options, output and exit codes (the default mode is -C, as in radmind's code). Difference from radmind: -o is written to a temporary file and renamed into place, so an error never leaves a partial transcript.
      """)
}

struct LmergeHelp: RadmindToolHelp {
  static let configuration = CommandConfiguration(
    commandName: "lmerge",
    abstract: "radmind's lmerge: merge transcripts (first argument highest) and link their files.",
    usage: """
      lmerge [ -CITVv ] [ -D radmind-dir ] [ -u umask ] t1 t2 [ t3 ... ] dest
      lmerge -f [ -CIVv ] [ -D radmind-dir ] [ -u umask ] t1 t2
      lmerge -n [ -CITVv ] [ -D radmind-dir ] [ -u umask ] t1 t2 dest
      """,
    discussion: """
      Exactly radmind's modes, quirks, messages and exit codes. Difference from radmind: the result is published crash-safely (both parts built under temporary names and fsynced; the file directory made visible first, the transcript last; an existing pair replaced with RENAME_EXCHANGE; an intent record lets the next run finish or undo an interrupted publish).
      """)
}

struct LcksumHelp: RadmindToolHelp {
  static let configuration = CommandConfiguration(
    commandName: "lcksum",
    abstract: "radmind's lcksum: verify (-n) or update the checksums of a loadset's transcript.",
    usage: "lcksum -c digest [ -n [ -a ] ] [ -IqiAV% ] [ -D radmind-dir ] [ -P prefix ] transcript ...",
    discussion: """
      Exactly radmind's options, messages, rewritten-line layout and exit codes, with two departures:

      -n -a works. radmind's -a ("continue after errors") crashes after the first bad line. Here every problem (missing or unreadable stored file, malformed line, wrong size or checksum) is reported with radmind's message on its own line, checking goes on through the remaining lines and transcripts, and the exit status is the one radmind gives for the first problem (2 for a missing/unreadable file or a malformed line, 1 for a wrong size or checksum). A bad sort order still stops at once (exit 2).

      A stored file that changes while it is hashed is an error, never a checksum. An update is written to a temporary file, fsynced and renamed over the transcript; after any error the transcript is unchanged and no temporary file is left.
      """)
}

struct LsortHelp: RadmindToolHelp {
  static let configuration = CommandConfiguration(
    commandName: "lsort",
    abstract: "radmind's lsort: sort transcript lines in radmind path order.",
    usage: "lsort [ -IV ] [ -o file ] [ files... ]",
    discussion: """
      Exactly radmind's output (lines verbatim, ties in reverse input order) and exit codes. Differences from radmind: memory stays bounded (external merge sort), and a file named by -o is replaced atomically, so a failed run leaves it as it was (a symlink is followed; a device or FIFO is written into).
      """)
}

struct TwhichHelp: RadmindToolHelp {
  static let configuration = CommandConfiguration(
    commandName: "twhich",
    abstract: "radmind's twhich: which transcripts of a command file list a path.",
    usage: "twhich [ -aIrV ] [ -s ] [ -K command.K ] path",
    discussion: "Exactly radmind's options, output and exit codes (0 found, 1 not found or excluded, 2 error).")
}
