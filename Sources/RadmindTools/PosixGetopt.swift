/// Option parsing exactly as radmind's tools get it from glibc's `getopt(3)`: bundled flags
/// (`-Ccsha1`), an option's argument glued or in the next word, GNU argument permutation (options
/// may follow operands) and `--` to end options. swift-argument-parser cannot reproduce this.
public struct PosixGetopt {
  public enum Event: Equatable {
    case option(Character, argument: String?)
    /// An option letter not in the option string: glibc prints `invalid option -- 'x'`.
    case invalid(Character)
    /// An option that needs an argument came last: `option requires an argument -- 'x'`.
    case missingArgument(Character)
  }

  public private(set) var events: [Event] = []
  public private(set) var operands: [String] = []

  /// - Parameters:
  ///   - arguments: the words after the program name.
  ///   - optionString: as for getopt, e.g. `"1ACc:IK:o:tTVvW%"` (a letter followed by `:` takes an argument).
  public init(_ arguments: [String], optionString: String) {
    var takesArgument: [Character: Bool] = [:]
    let spec = Array(optionString)
    var k = 0
    while k < spec.count {
      let c = spec[k]
      let hasArg = k + 1 < spec.count && spec[k + 1] == ":"
      takesArgument[c] = hasArg
      k += hasArg ? 2 : 1
    }
    var i = 0
    while i < arguments.count {
      let word = arguments[i]
      i += 1
      if word == "--" {
        operands.append(contentsOf: arguments[i...])
        break
      }
      guard word.hasPrefix("-"), word.count > 1 else {
        operands.append(word)
        continue
      }
      let letters = Array(word.dropFirst())
      var j = 0
      while j < letters.count {
        let c = letters[j]
        j += 1
        guard let hasArg = takesArgument[c], c != ":" else {
          events.append(.invalid(c))
          continue
        }
        if !hasArg {
          events.append(.option(c, argument: nil))
          continue
        }
        if j < letters.count {
          events.append(.option(c, argument: String(letters[j...])))
        } else if i < arguments.count {
          events.append(.option(c, argument: arguments[i]))
          i += 1
        } else {
          events.append(.missingArgument(c))
        }
        break
      }
    }
  }

  /// glibc's message for a bad event, prefixed with the program name as invoked.
  public static func message(for event: Event, program: String) -> String? {
    switch event {
    case .invalid(let c): return "\(program): invalid option -- '\(c)'\n"
    case .missingArgument(let c): return "\(program): option requires an argument -- '\(c)'\n"
    case .option: return nil
    }
  }
}
