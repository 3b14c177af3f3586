import SystemCalls
import TranscriptIO

extension StoreError {
  /// The one mapping of a line scan's errors to what the store reports: the line reader's
  /// ``SystemCallError`` as a system error, the scan's own ``StoreError`` as it is, anything else
  /// (a parser's error) as `NAME: error`.
  static func mappingScan<T>(of name: String, _ scan: () throws -> T) throws(StoreError) -> T {
    do {
      return try scan()
    } catch let error as SystemCallError {
      throw .system(error)
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(.system, "\(name): \(error)")
    }
  }
}
