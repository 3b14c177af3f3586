import ArgumentParser
import Store

/// `loadsmith build SERIES VERSION [--precedence 2,1]`.
struct BuildCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "build",
    abstract: "Concatenate a version's node loadsets into the build loadset (files hard-linked).",
    discussion: "A path that two nodes list differently is a conflict: the build is refused unless --precedence settles it.")
  @OptionGroup var options: StoreOptions
  @OptionGroup var display: ProgressOptions
  @Argument(help: "The series, e.g. was-apache-bin-rhel5.") var series: String
  @Argument(help: "The version, e.g. 001.001.") var version: String
  @Option(help: "Node numbers, highest precedence first, e.g. 2,1.") var precedence: String?

  /// `--precedence` as node numbers, or nil when it is malformed (``validate()`` refuses that).
  var precedenceOrder: [Int]? {
    guard let precedence else { return [] }
    var order: [Int] = []
    for part in precedence.split(separator: ",") {
      guard let n = Int(part), n > 0 else { return nil }
      order.append(n)
    }
    return order
  }

  func validate() throws {
    if precedenceOrder == nil { throw ValidationError("--precedence takes node numbers such as 2,1") }
  }

  func run() throws {
    let order = precedenceOrder ?? []
    display.start()
    let store = try options.open()
    let result = try reportingStoreErrors { () throws(StoreError) in try store.build(series, version: version, precedence: order) }
    for r in result.resolved { print("precedence: \(r)") }
    print("published \(result.loadset) from \(result.nodes.joined(separator: ", ")): \(result.entries) objects, \(result.files) files linked, \(result.bytes) bytes")
  }
}
