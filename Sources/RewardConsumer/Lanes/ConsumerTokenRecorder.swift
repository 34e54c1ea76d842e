import Foundation
import Logging
import MariaDB
import RewardCore

/// Records the tokens of a batch in `reward_tokens` (keyed by user id) before it settles, so a
/// grant whose SDK-side write was lost still shows on the wallet page. Best effort: the wallet
/// view is not a core dependency of settlement, so a failure is logged and counted, not retried.
final class ConsumerTokenRecorder: Sendable {
    private let pool: MariaDBPool?
    private let keyRing: TokenKeyRing
    private let logger: Logger

    init(pool: MariaDBPool?, keyRing: TokenKeyRing, logger: Logger) {
        self.pool = pool
        self.keyRing = keyRing
        self.logger = logger
    }

    func record(_ events: [BonusEvent]) async {
        guard let pool, !events.isEmpty else { return }
        var query: SQLQuery = """
            INSERT IGNORE INTO reward_tokens (user_id, order_id, token, activity_id, scene_id, reward_type, amount,
                                              issued_at, expires_at, recorded_by, recorded_at, granted_by) VALUES
            """
        var rows = 0
        for event in events {
            guard let token = try? RewardToken(parsing: event.token) else { continue }
            if rows > 0 { query.append(sql: ",") }
            rows += 1
            let issued = Date(timeIntervalSince1970: TimeInterval(token.issuedAt))
            let expires = Date(timeIntervalSince1970: TimeInterval(token.expiresAt))
            query.append("""
                (\(event.user.id), \(event.orderID.rawValue), \(event.token), \(event.activity.id), \(event.activity.sceneID),
                 \(event.bonus.rewardType), \(event.bonus.amount), \(issued), \(expires), 'consumer', UTC_TIMESTAMP(6),
                 \(event.grantedBy))
                """)
        }
        guard rows > 0 else { return }
        do {
            try await pool.execute(query)
        } catch {
            logger.warning("could not record tokens for the wallet view", metadata: ["error": "\(error)", "count": "\(events.count)"])
        }
    }
}
