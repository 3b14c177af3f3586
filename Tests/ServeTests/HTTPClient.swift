#if canImport(Glibc)
import Glibc
#endif
import Foundation
import StoreTestSupport

/// A minimal HTTP/1.1 client over a raw socket: it sends the request target exactly as given
/// (no normalization of `..` or percent escapes), which is what hostile-name tests need.
struct HTTPResponse {
  var status: Int
  var headers: [String: String]
  var body: String
}

enum HTTP {
  static func request(_ method: String, port: Int, _ target: String, timeout: Int = 30) throws -> HTTPResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    defer { close(fd) }
    var tv = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    let text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var data: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { break }
      data += buf[0..<n]
    }
    let raw = String(decoding: data, as: UTF8.self)
    guard let split = raw.range(of: "\r\n\r\n") else { throw POSIXError(.EPROTO) }
    let head = raw[..<split.lowerBound].components(separatedBy: "\r\n")
    let statusParts = head[0].split(separator: " ")
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
      if let colon = line.firstIndex(of: ":") {
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    var body = String(raw[split.upperBound...])
    if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
    return HTTPResponse(status: statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0, headers: headers, body: body)
  }

  static func get(port: Int, _ target: String) throws -> HTTPResponse { try request("GET", port: port, target) }

  static func dechunk(_ s: String) -> String {
    var out = ""
    var rest = Substring(s)
    while let lineEnd = rest.range(of: "\r\n") {
      guard let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 else { break }
      let start = lineEnd.upperBound
      let bytes = Array(rest[start...].utf8)
      out += String(decoding: bytes.prefix(size), as: UTF8.self)
      rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
    }
    return out
  }
}

/// A `loadsmith serve` process on a free port over a store, stopped by `stop()`.
final class ServerProcess: @unchecked Sendable {
  let process = Process()
  let port: Int
  let store: String

  init(store: String) throws {
    self.store = store
    process.executableURL = URL(fileURLWithPath: CLI.binary)
    process.arguments = ["serve", "--store", store, "--bind", "127.0.0.1:0"]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var seen = ""
    var found: Int?
    let handle = out.fileHandleForReading
    let deadline = Date().addingTimeInterval(30)
    while found == nil && Date() < deadline {
      let chunk = handle.availableData
      if chunk.isEmpty { break }
      seen += String(decoding: chunk, as: UTF8.self)
      if let r = seen.range(of: #"loadsmith serve: http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
        let m = seen[r]
        found = Int(m.split(separator: ":").last!.dropLast())
      }
    }
    guard let found else {
      process.terminate()
      throw POSIXError(.ETIMEDOUT)
    }
    port = found
  }

  func stop() {
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
    }
  }

  deinit { stop() }
}
