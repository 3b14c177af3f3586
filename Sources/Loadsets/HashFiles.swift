import SystemCalls
import Hashing

/// `loadsmith hash [-c NAME] FILE...`: prints `<base64>  <file>` per file, radmind's checksum
/// strings (standard base64 of the digest named as radmind names it, default sha1), in argument
/// order, hashed on all cores. `-` reads standard input.
///
/// Returns 0, 1 if any file could not be hashed (`<file>: <reason>` on standard error, the
/// others still printed), or 2 for an unknown digest (`<name>: unsupported checksum`).
public func hashFiles(_ files: [String], digestName: String = "sha1",
                      threads: Int = OrderedHashPool.availableCPUs, output: ToolOutput) -> Int32 {
  let algorithm: DigestAlgorithm
  do { algorithm = try DigestAlgorithm(named: digestName) } catch {
    output.err("\(error.description)\n")
    return 2
  }
  var status: Int32 = 0
  var index = 0
  let pool = OrderedHashPool(algorithm: algorithm, threads: threads)
  pool.run(next: { () -> (path: [UInt8]?, context: String)? in
    guard index < files.count else { return nil }
    let name = files[index]
    index += 1
    return (name == "-" ? nil : Array(name.utf8), name)
  }, deliver: { name, result in
    let outcome: Result<[UInt8], FileHashError>
    if let result {
      outcome = result.map(\.checksum)
    } else {
      outcome = FileHasher(algorithm: algorithm).hashStream(fd: 0).map(\.checksum)
    }
    switch outcome {
    case .success(let checksum):
      output.out(checksum + Array("  \(name)\n".utf8))
    case .failure(let error):
      output.err("\(name): \(error.reason)\n")
      status = 1
    }
    return true
  })
  output.flush()
  return status
}
