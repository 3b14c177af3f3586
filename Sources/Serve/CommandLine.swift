import SystemCalls
import Hummingbird
import Store

/// `loadsmith serve [--store DIR] [--bind HOST:PORT]` (run as `loadsmith-serve`, which
/// `loadsmith serve` execs): options, then the server until SIGINT or SIGTERM.
package enum ServeCommandLine {
  package static let usage = """
    usage: loadsmith serve [--store DIR] [--bind HOST:PORT]

    A read-only web view and JSON API of the store: overview, series (with a timeline of its
    pointers), loadsets (transcripts, paginated), diffs between any two references, history and
    the DSL; JSON under /api/v1/. Never takes the store's lock, never writes; answers GET and
    HEAD only.

      --store DIR        the store (default: $LOADSMITH_STORE, else the current directory)
      --bind HOST:PORT   where to listen (default: 127.0.0.1:8080; port 0 picks a free one)

    """

  struct Options {
    var store: String?
    var host = "127.0.0.1"
    var port = 8080
  }

  static func fail(_ message: String) -> Never {
    writeError("loadsmith serve: \(message)\n")
    Syscall.exit(2)
  }

  static func writeError(_ text: String) {
    let bytes = Array(text.utf8)
    Syscall.writeAllQuietly(2, bytes)
  }

  static func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var k = 0
    func value(_ name: String) -> String {
      k += 1
      guard k < arguments.count else { fail("\(name) needs a value\n\(usage)") }
      return arguments[k]
    }
    while k < arguments.count {
      let a = arguments[k]
      switch a {
      case "-h", "--help", "help":
        print(usage, terminator: "")
        Syscall.exit(0)
      case "--store": options.store = value(a)
      case "--bind": (options.host, options.port) = parseBind(value(a))
      default:
        if a.hasPrefix("--store=") { options.store = String(a.dropFirst(8)) }
        else if a.hasPrefix("--bind=") { (options.host, options.port) = parseBind(String(a.dropFirst(7))) }
        else { fail("unknown argument '\(a)'\n\(usage)") }
      }
      k += 1
    }
    return options
  }

  /// `HOST:PORT`, `[V6]:PORT` or `:PORT` (loopback).
  static func parseBind(_ text: String) -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
      fail("--bind '\(text)': expected HOST:PORT, e.g. 127.0.0.1:8080")
    }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "127.0.0.1" : host, port)
  }

  /// Runs the server; returns when it stops.
  package static func main(_ arguments: [String]) async {
    let options = parse(arguments)
    var path = options.store ?? "."
    if options.store == nil, let env = Syscall.environment("LOADSMITH_STORE"), !env.isEmpty { path = env }
    let store: LoadsetStore
    do { store = try LoadsetStore(at: path) } catch { fail(error.message) }
    let host = options.host
    let app = Server.application(store: store, host: host, port: options.port) { port in
      let shown = host.contains(":") ? "[\(host)]" : host
      // Written at once (not buffered), so a script or test reading the port sees it now.
      let line = Array("loadsmith serve: http://\(shown):\(port)/ (store \(store.root), read-only)\n".utf8)
      Syscall.writeAllQuietly(1, line)
    }
    do { try await app.runService() } catch { fail("\(error)") }
  }
}
