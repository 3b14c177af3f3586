import Foundation

extension CLI {
  /// What a run with standard error on a terminal produced.
  public struct TerminalResult {
    public var status: Int32
    public var out: String
    /// Every byte the terminal received (standard error), control sequences included.
    public var terminal: [UInt8]
    public var terminalText: String { String(decoding: terminal, as: UTF8.self) }
  }

  /// Runs the binary with standard error on a new pseudo-terminal (200 columns) and standard
  /// output on a pipe, the store in `$LOADSMITH_STORE`.
  public static func runOnTerminal(_ args: [String], store: String) throws -> TerminalResult {
    // openpty(3) is in glibc but not in Swift's Glibc module: looked up at run time.
    typealias OpenPTY = @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>,
                                        UnsafeMutablePointer<CChar>?, UnsafeRawPointer?, UnsafeRawPointer?) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openpty") else {
      throw POSIXError(.ENOSYS)
    }
    let openpty = unsafeBitCast(symbol, to: OpenPTY.self)
    var master: Int32 = -1, slave: Int32 = -1
    var size = winsize(ws_row: 50, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
    guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(master) }

    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = acceptingUnsigned(args)
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "LOADSMITH_FAULT")
    environment["LOADSMITH_STORE"] = store
    p.environment = environment
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
    p.standardInput = FileHandle.nullDevice
    try p.run()
    close(slave)  // the child holds the only other end: reading stops with EIO when it exits

    var terminal: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = read(master, &buffer, buffer.count)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      terminal += buffer[0..<n]
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return TerminalResult(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), terminal: terminal)
  }
}
