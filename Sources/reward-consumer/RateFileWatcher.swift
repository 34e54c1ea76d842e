import Foundation
import Logging
import RewardConsumer
import RewardSettlement
import ServiceLifecycle

/// Applies edits of the rate-limits file while running: rates are changed live, without a restart
/// (an operator's `rate:<bucket>` control still wins over the file; see ``LiveRates``).
struct RateFileWatcher: Service {
    let path: String
    let rates: LiveRates
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        var lastModified = modified()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            let now = modified()
            guard now != lastModified else { continue }
            lastModified = now
            do {
                rates.fileChanged(try RateLimitConfiguration.load(from: path))
            } catch {
                logger.error("rate-limits file not applied; keeping the previous rates", metadata: ["error": "\(error)"])
            }
        }
    }

    private func modified() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
