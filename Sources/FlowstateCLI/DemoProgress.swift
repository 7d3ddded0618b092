import Foundation

/// The demo's live progress on stderr: a bar redrawn in place when stderr is a terminal,
/// a plain line every few seconds otherwise (logs, CI).
struct DemoProgress {
    let statements: Int
    let sagas: Int
    let isTerminal = isatty(STDERR_FILENO) == 1
    /// The highest transitions/s measured over a window of at least a second.
    private(set) var peakRate = 0
    private var samples: [(time: ContinuousClock.Instant, transitions: Int)] = []
    private var lastLine: ContinuousClock.Instant?
    private var drawn = false

    init(statements: Int, sagas: Int) {
        self.statements = statements
        self.sagas = sagas
    }

    /// Takes a sample and redraws (or prints a plain line when one is due).
    mutating func update(_ counts: DemoMonitor.Counts, elapsed: Duration, producing: Bool) {
        let now = ContinuousClock.now
        samples.append((now, counts.transitions))
        while samples.count > 2, now - samples[1].time >= .seconds(1) { samples.removeFirst() }
        var rate = 0
        if let first = samples.first, now - first.time >= .milliseconds(900) {
            rate = Int(Double(counts.transitions - first.transitions) / Self.seconds(now - first.time))
            peakRate = max(peakRate, rate)
        }
        let closed = counts.closedStatements.count, ended = counts.endedSagas.count
        let done = Double(closed + ended) / Double(max(1, statements + sagas))
        let text = "statements \(DemoFormat.count(closed))/\(DemoFormat.count(statements)) closed · sagas "
            + "\(DemoFormat.count(ended))/\(DemoFormat.count(sagas)) ended · \(DemoFormat.count(rate)) transitions/s · "
            + String(format: "%.1f s", Self.seconds(elapsed)) + (producing ? " · producing" : "")
        if isTerminal {
            let width = 24, filled = Int(done * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\u{1B}[2K[\(bar)] \(String(format: "%3d", Int(done * 100)))%  \(text)")
            drawn = true
        } else if lastLine.map({ now - $0 >= .seconds(2) }) ?? true {
            lastLine = now
            write("progress \(String(format: "%3d", Int(done * 100)))%  \(text)\n")
        }
    }

    /// Ends the bar's line.
    mutating func finish() {
        if drawn { write("\n") }
        drawn = false
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
