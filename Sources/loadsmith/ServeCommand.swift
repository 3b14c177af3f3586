#if canImport(Glibc)
import Glibc
#endif
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
    var buf = [CChar](repeating: 0, count: 4097)
    let n = readlink("/proc/self/exe", &buf, 4096)
    let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    let server = (dir.isEmpty ? "." : dir) + "/loadsmith-serve"
    let argv = [server] + arguments
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
    cargs.append(nil)
    execv(server, &cargs)
    StandardStreams.writeError("loadsmith serve: cannot run \(server): \(String(cString: strerror(errno))) (build it with 'swift build --product loadsmith-serve')\n")
    throw ExitCode(2)
  }
}
