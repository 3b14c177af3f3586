import SystemCalls
import Store
import TranscriptIO

/// Which loadset each pointer of a series named over time, from the history log's `move`
/// records, drawn as an inline SVG: one row per pointer, one bar per period, labelled with the
/// build's version (or cfg snapshot number).
struct Timeline {
  struct Period: Equatable {
    var pointer: String
    var target: String
    var from: Double
    var to: Double?
  }

  var pointers: [String]
  var periods: [Period] = []
  /// Publish times of the series' builds or snapshots (ticks under the rows).
  var published: [(time: Double, name: String)] = []

  /// Streams the log once, keeping only this series' records.
  static func read(store: LoadsetStore, series: LoadsetSeries) -> Timeline {
    let pointers: [LoadsetName] = series.type == .cfg
      ? ConfigurationPointer.allCases.map { .configurationPointer(series, $0) } : [.current(series)]
    var timeline = Timeline(pointers: pointers.map(\.fileName))
    guard let reader = try? LineReader(path: store.historyLogPath, bufferSize: 1 << 16) else { return timeline }
    let stem = series.description + "-"
    var open: [String: Int] = [:]
    while let raw = try? reader.next() {
      // Cheap test first: most records are other series'.
      guard raw.count > stem.utf8.count, let line = String(validating: raw, as: UTF8.self),
            line.contains(stem), let r = HistoryRecord.parse(Substring(line)), let t = seconds(r.time) else { continue }
      if r.event == "move", timeline.pointers.contains(r.name) {
        if let k = open[r.name] { timeline.periods[k].to = t }
        timeline.periods.append(Period(pointer: r.name, target: r.to, from: t, to: nil))
        open[r.name] = timeline.periods.count - 1
      } else if r.event == "publish", let name = try? LoadsetName(parsing: r.name), name.series == series {
        switch name {
        case .build, .snapshot: timeline.published.append((t, r.name))
        default: break
        }
      }
    }
    return timeline
  }

  /// `2026-11-29T21:25:28.258Z` as seconds since the epoch.
  static func seconds(_ time: String) -> Double? {
    let u = Array(time.utf8)
    guard u.count >= 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54, u[13] == 0x3A, u[16] == 0x3A else { return nil }
    func num(_ r: Range<Int>) -> Int32? {
      var v: Int32 = 0
      for i in r { guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }; v = v * 10 + Int32(u[i] - 0x30) }
      return v
    }
    guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
          let mi = num(14..<16), let s = num(17..<19) else { return nil }
    let civil = CivilTime(year: Int(y), month: Int(mo), day: Int(d), hour: Int(h), minute: Int(mi), second: Int(s))
    var frac = 0.0
    if u[19] == 0x2E, u.count >= 23, let ms = num(20..<23) { frac = Double(ms) / 1000 }
    return Double(civil.utcSeconds) + frac
  }

  /// The label of a loadset in a bar: its version or snapshot number.
  static func label(_ target: String) -> String {
    switch try? LoadsetName(parsing: target) {
    case .build(_, let v)?: return v.description
    case .node(_, let v, let n)?: return "\(v) node\(n)"
    case .snapshot(_, let n)?: return String(n)
    default: return target
    }
  }

  static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]

  /// The picture; `now` closes the open periods. Releases come in bursts (a release, then weeks
  /// of nothing), so the axis is in steps: each distinct event time gets an equal share of the
  /// width, in order, and the dates are written under the steps that have room.
  func svg(now: Double) -> String {
    let times = Array(Set(periods.map(\.from) + published.map(\.time))).sorted()
    guard !times.isEmpty else {
      return "<p class=muted>No pointer of this series has moved yet.</p>"
    }
    let left = 110.0, width = 800.0, rowHeight = 30.0, top = 10.0
    let height = top + Double(pointers.count) * rowHeight + 58
    let steps = Double(times.count)  // the last step runs to now
    func x(_ t: Double) -> Double {
      var k = 0
      while k < times.count && times[k] < t { k += 1 }
      if k >= times.count { return width - 10 }
      return left + Double(k) / steps * (width - left - 10)
    }
    var colors: [String: String] = [:]
    for p in periods where colors[p.target] == nil { colors[p.target] = Timeline.palette[colors.count % Timeline.palette.count] }
    var out = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Which loadset each pointer named over time\" xmlns=\"http://www.w3.org/2000/svg\">"
    out += "<title>Which loadset each pointer named over time</title>"
    for (row, pointer) in pointers.enumerated() {
      let y = top + Double(row) * rowHeight
      let short = pointer.hasSuffix(".T") ? String(pointer.dropLast(2)) : pointer
      let label = short.split(separator: "-").last.map(String.init) ?? short
      out += "<text x=\"4\" y=\"\(fmt(y + 17))\">\(HTML.escape(label))</text>"
      out += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y + rowHeight - 3))\" x2=\"\(fmt(width - 10))\" y2=\"\(fmt(y + rowHeight - 3))\" stroke=\"#8888\"/>"
      for p in periods where p.pointer == pointer {
        let x0 = x(p.from), x1 = max(p.to.map(x) ?? width - 10, x0 + 2)
        let color = colors[p.target] ?? "#888"
        let span = Timeline.date(p.from) + " – " + (p.to.map(Timeline.date) ?? "now")
        out += "<g><title>\(HTML.escape(p.pointer)) → \(HTML.escape(p.target)), \(HTML.escape(span))</title>"
        out += "<rect x=\"\(fmt(x0))\" y=\"\(fmt(y + 3))\" width=\"\(fmt(x1 - x0 - 1))\" height=\"\(fmt(rowHeight - 8))\" rx=\"3\" fill=\"\(color)\"/>"
        if x1 - x0 > 40 {
          out += "<text x=\"\(fmt(x0 + 4))\" y=\"\(fmt(y + 18))\" style=\"fill:#fff\">\(HTML.escape(Timeline.label(p.target)))</text>"
        }
        out += "</g>"
      }
    }
    let axis = top + Double(pointers.count) * rowHeight + 4
    out += "<text x=\"4\" y=\"\(fmt(axis + 14))\">published</text>"
    for p in published {
      out += "<g><title>\(HTML.escape(p.name)), \(HTML.escape(Timeline.date(p.time)))</title><rect x=\"\(fmt(x(p.time)))\" y=\"\(fmt(axis + 2))\" width=\"6\" height=\"14\" fill=\"currentColor\"/>"
      out += "<text x=\"\(fmt(x(p.time) + 8))\" y=\"\(fmt(axis + 14))\">\(HTML.escape(Timeline.label(p.name)))</text></g>"
    }
    // Dates under the steps, skipping those that would overlap the previous one.
    var lastLabel = -1000.0, lastText = ""
    for t in times + [now] {
      let px = t == now ? width - 10 : x(t)
      let text = t == now ? "now" : Timeline.date(t)
      if text == lastText || px - lastLabel < (t == now ? 40 : 150) { continue }
      if t != now && px > width - 190 { continue }
      lastText = text
      out += "<text x=\"\(fmt(px))\" y=\"\(fmt(axis + 40))\"\(t == now ? " text-anchor=\"end\"" : "")>\(HTML.escape(text))</text>"
      lastLabel = px
    }
    return out + "</svg>"
  }

  func fmt(_ v: Double) -> String { String(Int(v.rounded())) }

  static func date(_ t: Double) -> String {
    CivilTime.utc(Int(t)).iso8601(separator: " ")
  }

  /// The periods as JSON: `[{"pointer":...,"target":...,"from":TIME,"to":TIME|null}]` (seconds).
  var json: String {
    "[" + periods.map { p in
      "{\"pointer\":\(JSONText.quote(p.pointer)),\"target\":\(JSONText.quote(p.target)),\"from\":\(p.from),\"to\":\(p.to.map { String($0) } ?? "null")}"
    }.joined(separator: ",") + "]"
  }
}
