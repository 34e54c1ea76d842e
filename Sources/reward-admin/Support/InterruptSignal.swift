import Dispatch
import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM as a flag a long command polls between batches, so it stops after
/// the batch in hand with its checkpoint written. A second signal exits at once (still safe:
/// nothing is checkpointed before it is settled).
final class InterruptSignal: Sendable {
    private let raised = Atomic(0)
    // Kept alive for the process's lifetime; signal sources are delivered on this private queue.
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    init() {
        let queue = DispatchQueue(label: "reward-admin.signals")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                if self.raised.add(1, ordering: .relaxed).newValue > 1 {
                    FileHandle.standardError.write(Data("reward-admin: stopping now\n".utf8))
                    exit(130)
                }
                FileHandle.standardError.write(Data("reward-admin: stopping after the batch in hand (again to stop now)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    var isRaised: Bool { raised.load(ordering: .relaxed) > 0 }
}
