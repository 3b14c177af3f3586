import ArgumentParser
import Store
import TranscriptIO

/// `loadsmith name --explain NAME`, `loadsmith name --next-minor NAME`.
struct Name: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Explain a loadset name, or compute the next version.",
    discussion: """
      Names: FAMILY-COMPONENT-TYPE-OS-VERSION[-nodeN].T (bin, neg), FAMILY-COMPONENT-TYPE-OS-current.T, \
      FAMILY-COMPONENT-cfg-NNNN.T and FAMILY-COMPONENT-cfg-{dev,stable,stale}.T. FAMILY, COMPONENT and OS \
      are lowercase letters and digits. VERSION is MAJOR.MINOR, three digits each.
      """)

  @Flag(help: "Print each part of the name and what it means.") var explain = false
  @Flag(help: "Print the name with the next minor version (changes on the same staging install).") var nextMinor = false
  @Flag(help: "Print the name with the next major version (recaptured from a rebuilt prototype).") var nextMajor = false
  @Argument(help: "A loadset name, e.g. was-apache-bin-rhel5-001.001-node1.T.") var name: String

  func validate() throws {
    if [explain, nextMinor, nextMajor].filter({ $0 }).count > 1 {
      throw ValidationError("give one of --explain, --next-minor, --next-major")
    }
  }

  func run() throws {
    let parsed: LoadsetName
    do { parsed = try LoadsetName(parsing: name) } catch {
      StandardStreams.writeError("loadsmith: bad loadset name \(error)\n")
      throw ExitCode(2)
    }
    if nextMinor || nextMajor {
      do {
        switch parsed {
        case .node(let s, let v, let n): print(LoadsetName.node(s, nextMinor ? try v.nextMinor() : try v.nextMajor(), n).fileName)
        case .build(let s, let v): print(LoadsetName.build(s, nextMinor ? try v.nextMinor() : try v.nextMajor()).fileName)
        default:
          StandardStreams.writeError("loadsmith: \(parsed.fileName) has no version (pointers and cfg snapshots are not versioned)\n")
          throw ExitCode(2)
        }
      } catch let error as LoadsetNameError {
        StandardStreams.writeError("loadsmith: \(error)\n")
        throw ExitCode(2)
      }
      return
    }
    if explain {
      let rows = parsed.explanation
      let width = rows.map(\.0.count).max() ?? 0
      for (label, value) in rows { print(label + ":" + String(repeating: " ", count: width - label.count + 1) + value) }
    } else {
      print(parsed.fileName)
    }
  }
}
