#if canImport(Glibc)
import Glibc
#endif
import Foundation
import StoreTestSupport

/// Loadsets-only views of the shared scratch directory.
extension Scratch {
  func exists(_ rel: String) -> Bool {
    var st = stat()
    return lstat(url(rel), &st) == 0
  }

  func links(_ rel: String) -> Int {
    var st = stat()
    return lstat(url(rel), &st) == 0 ? Int(st.st_nlink) : 0
  }

  /// Every path below `rel` (relative, sorted), directories marked with a trailing "/".
  func listing(_ rel: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: url(rel)) else { return [] }
    var out: [String] = []
    while let p = e.nextObject() as? String {
      var isDir: ObjCBool = false
      FileManager.default.fileExists(atPath: url(rel) + "/" + p, isDirectory: &isDir)
      out.append(isDir.boolValue ? p + "/" : p)
    }
    return out.sorted()
  }

  func entries(_ rel: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url(rel))) ?? []).sorted()
  }
}

/// A transcript line in fsdiff's layout for a file.
func fline(_ path: String, size: Int, sum: String, mode: String = "0644", mtime: Int = 1600000000) -> String {
  let pad = String(repeating: " ", count: max(0, 37 - path.count))
  let s = String(size), m = String(mtime)
  return "f \(path)\(pad)\t\(mode)     0     0 \(String(repeating: " ", count: max(0, 9 - m.count)))\(m) \(String(repeating: " ", count: max(0, 7 - s.count)))\(s) \(sum)\n"
}

func dline(_ path: String, mode: String = "0755") -> String {
  let pad = String(repeating: " ", count: max(0, 37 - path.count))
  return "d \(path)\(pad)\t\(mode)     0     0\n"
}
