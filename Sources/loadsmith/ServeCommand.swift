import SystemCalls
import ArgumentParser
import TranscriptIO

/// `loadsmith serve ...`: execs `loadsmith-serve` from this program's own directory with the same
/// arguments. The web server lives in its own executable so that `loadsmith` (and the radmind
/// front ends it answers as) does not link or load it.
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "A read-only web view and JSON API of the store (loadsmith serve --help).",
    discussion: "Runs loadsmith-serve from the directory of this program: [--store DIR] [--bind HOST:PORT].")

  @Argument(parsing: .captureForPassthrough, help: "Passed to loadsmith-serve.")
  var arguments: [String] = []

  func run() throws {
    let link = (try? Syscall.readlink(Array("/proc/self/exe".utf8))) ?? []
    let exe = !link.isEmpty ? String(decoding: link, as: UTF8.self) : CommandLine.arguments[0]
    let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    let server = (dir.isEmpty ? "." : dir) + "/loadsmith-serve"
    let argv = [server] + arguments
    let error = Syscall.execv(server, argv)
    StandardStreams.writeError("loadsmith serve: cannot run \(server): \(error.reason) (build it with 'swift build --product loadsmith-serve')\n")
    throw ExitCode(2)
  }
}
