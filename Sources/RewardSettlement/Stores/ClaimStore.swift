import Foundation
import MariaDB

/// A claim row as stored in `order_claims`.
struct ClaimRow: Sendable, Hashable {
    enum State: String, Sendable { case claimed, credited }

    var identity: ClaimIdentity
    var ledger: String
    var state: State
    var ledgerReference: String?
}

/// A claim to insert: the first valid occurrence of an order id in a batch.
struct NewClaim: Sendable {
    var orderID: String
    var identity: ClaimIdentity
    var ledger: String
    var claimedBy: String
    var grantedAt: Date
    /// The verified token that proves the grant.
    var token: String
}

/// A conflicting request to record in `order_anomalies`.
struct OrderAnomaly: Sendable, Hashable {
    var conflict: SettlementConflict
    var source: String
}

/// The SQL of `order_claims` and `order_anomalies` (both sharded by order id).
struct ClaimStore: Sendable {
    let runner: TransactionRunner

    /// Claims every order id with one statement and returns the claim rows as they stand now.
    ///
    /// `INSERT … ON DUPLICATE KEY UPDATE attempts = attempts + 1` (autocommit: one statement is its
    /// own transaction, and a round trip per batch counts) claims new order ids and counts repeats.
    /// When every row was new they are ours and need no reading back; otherwise the rows are read
    /// (ours or an earlier claimer's).
    /// - Parameter claims: Distinct order ids of one claims shard.
    func claim(_ claims: [NewClaim], on pool: MariaDBPool, now: Date) async throws -> [String: ClaimRow] {
        // Sorted, so concurrent batches lock shared order ids in the same order.
        let sorted = claims.sorted { $0.orderID < $1.orderID }
        let orderIDs = sorted.map(\.orderID)
        var insert: SQLQuery = """
            INSERT INTO order_claims (order_id, user_id, activity_id, reward_type, amount, ledger, state,
                claimed_by, attempts, granted_at, claimed_at, token) VALUES
            """
        for (index, claim) in sorted.enumerated() {
            insert.append(sql: index == 0 ? " " : ", ")
            insert.append("""
                (\(claim.orderID), \(claim.identity.userID), \(claim.identity.activityID), \
                \(claim.identity.rewardType), \(claim.identity.amount), \(claim.ledger), 'claimed', \
                \(claim.claimedBy), 1, \(claim.grantedAt), \(now), \(claim.token))
                """)
        }
        insert.append(sql: " ON DUPLICATE KEY UPDATE attempts = attempts + 1")
        let allNew = try await runner.runStatement(.claim, on: pool, insert) { result in
            // Each new row counts 1 and each repeat 2 (attempts changes): n rows for n claims
            // means every claim is new and ours.
            result.affectedRows == UInt64(sorted.count)
        } recheck: {
            // The rows are there only if the statement committed (or other settlers claimed the
            // same order ids: the same rows, decided the same way below).
            let rows = try await pool.withConnection { try await Self.read(orderIDs, on: $0) }
            return rows.count == orderIDs.count ? false : nil
        }
        guard !allNew else {
            return Dictionary(uniqueKeysWithValues: sorted.map {
                ($0.orderID, ClaimRow(identity: $0.identity, ledger: $0.ledger, state: .claimed, ledgerReference: nil))
            })
        }
        return try await pool.withConnection { try await Self.read(orderIDs, on: $0) }
    }

    /// Records conflicts that are not recorded yet, in a transaction of their own that locks the
    /// claims first, so a conflict is recorded once however many settlers see it at once.
    func recordAnomalies(_ anomalies: [OrderAnomaly], on pool: MariaDBPool, now: Date) async throws {
        guard !anomalies.isEmpty else { return }
        try await runner.run(.claim, on: pool) { connection in
            // Lock the claims first: concurrent recorders of one order id take turns.
            var lock: SQLQuery = "SELECT order_id FROM order_claims FORCE INDEX (PRIMARY) WHERE order_id IN "
            lock.appendList(Set(anomalies.map(\.conflict.orderID)).sorted())
            lock.append(sql: " FOR UPDATE")
            _ = try await connection.query(lock)
            try await Self.insertMissing(anomalies, on: connection, now: now)
        } recheck: {
            // Idempotent: running it again inserts only what is missing.
            nil
        }
    }

    /// Marks claims credited with their ledger references; a no-op for claims already credited.
    ///
    /// References made of a common prefix and the order id (`credit:<order id>`, the built-in
    /// ledgers) are written with one `CONCAT` statement per prefix; others through a join with the
    /// batch's values. Either way one statement per group, each idempotent.
    func confirm(_ confirmations: [(orderID: String, reference: String)], on pool: MariaDBPool, now: Date) async throws {
        var byPrefix: [String: [String]] = [:]
        var others: [(orderID: String, reference: String)] = []
        for confirmation in confirmations.sorted(by: { $0.orderID < $1.orderID }) {
            if confirmation.reference.hasSuffix(confirmation.orderID) {
                byPrefix[String(confirmation.reference.dropLast(confirmation.orderID.count)), default: []].append(confirmation.orderID)
            } else {
                others.append(confirmation)
            }
        }
        for (prefix, orderIDs) in byPrefix.sorted(by: { $0.key < $1.key }) {
            var update: SQLQuery = """
                UPDATE order_claims FORCE INDEX (PRIMARY) SET state = 'credited', credited_at = \(now), \
                ledger_reference = CONCAT(\(prefix), order_id) WHERE state = 'claimed' AND order_id IN
                """
            update.append(sql: " ")
            update.appendList(orderIDs)
            try await runner.runIdempotent(.confirm, on: pool, update)
        }
        guard !others.isEmpty else { return }
        var update: SQLQuery = "UPDATE order_claims AS c JOIN ("
        for (index, confirmation) in others.enumerated() {
            update.append(index == 0
                ? "SELECT \(confirmation.orderID) AS order_id, \(confirmation.reference) AS reference"
                : " UNION ALL SELECT \(confirmation.orderID), \(confirmation.reference)")
        }
        update.append("""
            ) AS v ON c.order_id = v.order_id SET c.state = 'credited', c.credited_at = \(now), \
            c.ledger_reference = v.reference WHERE c.state = 'claimed'
            """)
        try await runner.runIdempotent(.confirm, on: pool, update)
    }

    /// The claim rows of these order ids, by order id.
    static func read(_ orderIDs: [String], on connection: MariaDBConnection) async throws -> [String: ClaimRow] {
        var select: SQLQuery = """
            SELECT order_id, user_id, activity_id, reward_type, amount, ledger, state, ledger_reference
            FROM order_claims FORCE INDEX (PRIMARY) WHERE order_id IN
            """
        select.append(sql: " ")
        select.appendList(orderIDs)
        var rows: [String: ClaimRow] = [:]
        for row in try await connection.query(select) {
            let stateText = try row.decode("state", as: String.self)
            guard let state = ClaimRow.State(rawValue: stateText) else {
                throw MariaDBError(.decodingFailed, message: "order_claims.state '\(stateText)' is unknown")
            }
            rows[try row.decode("order_id", as: String.self)] = ClaimRow(
                identity: ClaimIdentity(
                    userID: try row.decode("user_id"), activityID: try row.decode("activity_id"),
                    rewardType: try row.decode("reward_type"), amount: try row.decode("amount")),
                ledger: try row.decode("ledger"), state: state,
                ledgerReference: try row.decode("ledger_reference"))
        }
        return rows
    }

    /// Inserts the anomalies that have no identical record yet (same order id and incoming fields).
    private static func insertMissing(_ anomalies: [OrderAnomaly], on connection: MariaDBConnection, now: Date) async throws {
        guard !anomalies.isEmpty else { return }
        var select: SQLQuery = """
            SELECT order_id, incoming_user_id, incoming_activity_id, incoming_reward_type, incoming_amount
            FROM order_anomalies FORCE INDEX (anomalies_by_order) WHERE order_id IN
            """
        select.append(sql: " ")
        select.appendList(Set(anomalies.map(\.conflict.orderID)).sorted())
        struct Key: Hashable { var orderID: String; var incoming: ClaimIdentity }
        var recorded = Set<Key>()
        for row in try await connection.query(select) {
            recorded.insert(Key(orderID: try row.decode("order_id"), incoming: ClaimIdentity(
                userID: try row.decode("incoming_user_id"), activityID: try row.decode("incoming_activity_id"),
                rewardType: try row.decode("incoming_reward_type"), amount: try row.decode("incoming_amount"))))
        }
        var insert: SQLQuery = """
            INSERT INTO order_anomalies (order_id, claimed_user_id, claimed_reward_type, claimed_amount,
                incoming_user_id, incoming_reward_type, incoming_amount, incoming_activity_id, source, detected_at) VALUES
            """
        var count = 0
        for anomaly in anomalies {
            let conflict = anomaly.conflict
            guard recorded.insert(Key(orderID: conflict.orderID, incoming: conflict.incoming)).inserted else { continue }
            insert.append(sql: count == 0 ? " " : ", ")
            insert.append("""
                (\(conflict.orderID), \(conflict.claimed.userID), \(conflict.claimed.rewardType), \(conflict.claimed.amount), \
                \(conflict.incoming.userID), \(conflict.incoming.rewardType), \(conflict.incoming.amount), \
                \(conflict.incoming.activityID), \(String(anomaly.source.prefix(64))), \(now))
                """)
            count += 1
        }
        if count > 0 { try await connection.execute(insert) }
    }
}
