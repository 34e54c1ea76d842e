import Foundation
import Logging
import RewardSettlement
import ServiceLifecycle

/// Applies edits of the rate-limits file while running: rates are changed live, without a restart.
struct RateFileWatcher: Service {
    let path: String
    let limiter: RewardRateLimiter
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        var applied = try? RateLimitConfiguration.load(from: path)
        var lastModified = modified()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            let now = modified()
            guard now != lastModified else { continue }
            lastModified = now
            do {
                let next = try RateLimitConfiguration.load(from: path)
                for (type, rate) in next.rates where applied?.rates[type] != rate {
                    limiter.setRate(rewardType: type, to: rate)
                    logger.notice("rate changed", metadata: ["rewardType": "\(type)", "rate": "\(rate)"])
                }
                for type in (applied?.rates.keys).map(Set.init) ?? [] where next.rates[type] == nil {
                    limiter.setRate(rewardType: type, to: nil)
                }
                for (name, shared) in next.sharedDownstreams where applied?.sharedDownstreams[name]?.rate != shared.rate {
                    limiter.setSharedRate(downstream: name, to: shared.rate)
                }
                applied = next
            } catch {
                logger.error("rate-limits file not applied; keeping the previous rates", metadata: ["error": "\(error)"])
            }
        }
    }

    private func modified() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
