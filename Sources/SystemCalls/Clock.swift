#if canImport(Glibc)
import Glibc
#endif

/// The one clock and identity: what time it is, how a time is written, who and where we run.
/// Every timestamp the modules write comes from here, so they cannot drift apart.
package enum Clock {
  /// `CLOCK_REALTIME`: the wall clock.
  package static func now() -> TimeSpec {
    var ts = TimeSpec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return ts
  }

  /// `CLOCK_REALTIME_COARSE`: the clock file timestamps come from (a tick behind at most).
  package static func nowCoarse() -> TimeSpec {
    var ts = TimeSpec()
    clock_gettime(CLOCK_REALTIME_COARSE, &ts)
    return ts
  }

  /// Now as ISO-8601 UTC, `yyyy-mm-ddThh:mm:ssZ`, or with `.mmm` milliseconds before the `Z`.
  package static func timestamp(milliseconds: Bool) -> String {
    let ts = now()
    return CivilTime.utc(ts.tv_sec).iso8601(milliseconds: milliseconds ? ts.tv_nsec / 1_000_000 : nil)
  }

  /// Sleeps the calling thread for `microseconds`.
  package static func sleep(microseconds: UInt32) { _ = usleep(microseconds) }

  /// Today's local date as `yyyymmdd`.
  package static func today() -> String { CivilTime.local(time(nil)).compactDate }
}

/// A moment broken into calendar fields (`gmtime_r` / `localtime_r`).
package struct CivilTime: Sendable, Equatable {
  package var year, month, day, hour, minute, second: Int

  package static func utc(_ seconds: Int) -> CivilTime {
    var t = time_t(seconds)
    var tmv = tm()
    gmtime_r(&t, &tmv)
    return CivilTime(tmv)
  }

  package static func local(_ seconds: Int) -> CivilTime {
    var t = time_t(seconds)
    var tmv = tm()
    localtime_r(&t, &tmv)
    return CivilTime(tmv)
  }

  package init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
    (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
  }

  /// Seconds since the epoch of these fields read as UTC (`timegm`).
  package var utcSeconds: Int {
    var tmv = tm()
    tmv.tm_year = Int32(truncatingIfNeeded: year - 1900); tmv.tm_mon = Int32(truncatingIfNeeded: month - 1)
    tmv.tm_mday = Int32(truncatingIfNeeded: day); tmv.tm_hour = Int32(truncatingIfNeeded: hour)
    tmv.tm_min = Int32(truncatingIfNeeded: minute); tmv.tm_sec = Int32(truncatingIfNeeded: second)
    return Int(timegm(&tmv))
  }

  private init(_ tmv: tm) {
    year = Int(tmv.tm_year) + 1900
    month = Int(tmv.tm_mon) + 1
    day = Int(tmv.tm_mday)
    hour = Int(tmv.tm_hour)
    minute = Int(tmv.tm_min)
    second = Int(tmv.tm_sec)
  }

  /// `yyyy-mm-dd` + `separator` + `hh:mm:ss`, then `.mmm` when given, then `Z`.
  package func iso8601(milliseconds: Int? = nil, separator: String = "T") -> String {
    var out = "\(zeroPadded(year, 4))-\(zeroPadded(month, 2))-\(zeroPadded(day, 2))\(separator)\(zeroPadded(hour, 2)):\(zeroPadded(minute, 2)):\(zeroPadded(second, 2))"
    if let milliseconds { out += "." + zeroPadded(milliseconds, 3) }
    return out + "Z"
  }

  /// `yyyymmdd`.
  package var compactDate: String { zeroPadded(year, 4) + zeroPadded(month, 2) + zeroPadded(day, 2) }
}

/// `value` in decimal, zero-padded on the left to `width` digits.
package func zeroPadded(_ value: Int, _ width: Int) -> String {
  let s = String(value)
  return String(repeating: "0", count: max(0, width - s.count)) + s
}

extension Syscall {
  /// The effective user's login name, or the numeric uid when it has none.
  package static var userName: String {
    if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
    return String(geteuid())
  }

  /// `gethostname(2)`.
  package static var hostName: String {
    var buf = [CChar](repeating: 0, count: 256)
    gethostname(&buf, 255)
    return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }

  /// `user@host`, as archives and history records name who made them.
  package static var userAtHost: String { userName + "@" + hostName }
}
