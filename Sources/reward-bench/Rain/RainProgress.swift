import Foundation
import Synchronization

/// One live status line: rewritten in place on a terminal, a line every few seconds otherwise
/// (so a log file or CI output stays readable).
final class RainProgress: Sendable {
    private let terminal = isatty(STDOUT_FILENO) == 1
    private let lastPlain = Mutex(ContinuousClock.now - .seconds(60))

    func show(_ line: String) {
        fflush(nil)  // what print() buffered goes out first, so lines stay in order in a pipe
        if terminal {
            FileHandle.standardOutput.write(Data("\r\u{1B}[K\(line)".utf8))
        } else {
            let due = lastPlain.withLock { last in
                guard ContinuousClock.now - last >= .seconds(5) else { return false }
                last = ContinuousClock.now
                return true
            }
            if due { FileHandle.standardOutput.write(Data("\(line)\n".utf8)) }
        }
    }

    /// Ends the live line with a final one.
    func finish(_ line: String) {
        fflush(nil)
        FileHandle.standardOutput.write(Data(((terminal ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }

    /// Shows `line()` every `interval` until the task is cancelled.
    func every(_ interval: Duration, _ line: @Sendable () async -> String) async {
        while !Task.isCancelled {
            show(await line())
            try? await Task.sleep(for: interval)
        }
    }
}
