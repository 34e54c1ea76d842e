import Foundation
public import MariaDB
import RewardCore

/// The live controls on the control database (migration 0018): the current overrides, the
/// audited history, and changes. Every change bumps `control_head.version` and records a row in
/// `control_changes` in the same transaction, so the daemons poll one integer.
public struct ControlStore: Sendable {
    public let pool: MariaDBPool

    public init(pool: MariaDBPool) { self.pool = pool }

    /// The version of the last change (0 before any): what a poll reads.
    public func version() async throws -> Int64 {
        let rows = try await pool.query("SELECT version FROM control_head WHERE id = 1")
        return try rows.first?.decode("version") ?? 0
    }

    /// Every override with the version they form, read in one statement (one consistent snapshot).
    public func state() async throws -> ControlState {
        let rows = try await pool.query("""
            SELECT h.version AS head, c.name, c.value, c.version, c.changed_at, c.changed_by, c.reason
            FROM control_head h LEFT JOIN controls c ON TRUE WHERE h.id = 1
            """)
        var state = ControlState()
        for row in rows {
            state.version = try row.decode("head")
            guard let name: String = try row.decode("name") else { continue }
            let setting = ControlSetting(key: name, value: try row.decode("value"), version: try row.decode("version"),
                                         changedAt: try row.decode("changed_at"), changedBy: try row.decode("changed_by"),
                                         reason: try row.decode("reason"))
            do throws(ControlError) {
                let key = try ControlKey(parsing: name)
                try key.validate(setting.value)
                state.settings[key] = setting
            } catch {
                state.unreadable.append("\(name)=\(setting.value): \(error.message)")
            }
        }
        return state
    }

    /// The latest changes, newest first; of one key when given.
    public func history(limit: Int = 50, key: ControlKey? = nil) async throws -> [ControlChange] {
        var query: SQLQuery = "SELECT version, name, old_value, new_value, changed_at, changed_by, reason FROM control_changes"
        if let key { query.append(" WHERE name = \(key.description)") }
        query.append(" ORDER BY version DESC LIMIT \(Int64(min(max(1, limit), 10_000)))")
        return try await pool.query(query).map { row in
            ControlChange(version: try row.decode("version"), key: try row.decode("name"), oldValue: try row.decode("old_value"),
                          newValue: try row.decode("new_value"), changedAt: try row.decode("changed_at"),
                          changedBy: try row.decode("changed_by"), reason: try row.decode("reason"))
        }
    }

    /// Sets a control (or, with `nil`, resets it to its default) and records who and why.
    /// - Parameters:
    ///   - key: The control.
    ///   - value: The new value (validated for the key), or `nil` to reset.
    ///   - changedBy: The operator: 1-64 letters, digits, '-', '_', '.', '@'.
    ///   - reason: Why, 3-500 printable characters.
    ///   - expectedVersion: The version the operator looked at; when given and someone changed
    ///     any control since, nothing is written and ``ControlError/Code/conflict`` is thrown.
    /// - Returns: The recorded change.
    public func set(_ key: ControlKey, to value: Int64?, by changedBy: String, reason: String, expectedVersion: Int64? = nil)
        async throws -> ControlChange
    {
        if let value { try key.validate(value) }
        try Self.checkOperator(changedBy)
        let reason = try Self.checkReason(reason)
        let name = key.description
        return try await pool.withTransaction { connection in
            // The head row's lock serialises changes; its version is the optimistic check.
            let head = try await connection.query("SELECT version FROM control_head WHERE id = 1 FOR UPDATE")
            let current: Int64 = try head.first?.decode("version") ?? 0
            if let expectedVersion, expectedVersion != current {
                throw ControlError(.conflict, "the controls changed since version \(expectedVersion) (now \(current)): look again before changing")
            }
            let old = try await connection.query("SELECT value FROM controls WHERE name = \(name)")
            let oldValue: Int64? = try old.first?.decode("value")
            let version = current + 1
            let now = WallClock.date()
            try await connection.execute("UPDATE control_head SET version = \(version) WHERE id = 1")
            if let value {
                try await connection.execute("""
                    INSERT INTO controls (name, value, version, changed_at, changed_by, reason)
                    VALUES (\(name), \(value), \(version), \(now), \(changedBy), \(reason))
                    ON DUPLICATE KEY UPDATE value = VALUES(value), version = VALUES(version), changed_at = VALUES(changed_at),
                        changed_by = VALUES(changed_by), reason = VALUES(reason)
                    """)
            } else {
                try await connection.execute("DELETE FROM controls WHERE name = \(name)")
            }
            try await connection.execute("""
                INSERT INTO control_changes (version, name, old_value, new_value, changed_at, changed_by, reason)
                VALUES (\(version), \(name), \(oldValue), \(value), \(now), \(changedBy), \(reason))
                """)
            return ControlChange(version: version, key: name, oldValue: oldValue, newValue: value, changedAt: now,
                                 changedBy: changedBy, reason: reason)
        }
    }

    static func checkOperator(_ name: String) throws(ControlError) {
        // An identifier that may also hold '@' (an e-mail-like name): same length, same other bytes.
        guard GrantValidation.isIdentifier(name.replacingOccurrences(of: "@", with: "_")) else {
            throw ControlError(.invalidOperator, "the operator's name is 1-64 letters, digits, '-', '_', '.' or '@'")
        }
    }

    static func checkReason(_ reason: String) throws(ControlError) -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= 3, trimmed.utf8.count <= 500, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ControlError(.invalidReason, "say why in 3-500 characters on one line (it is kept in the history)")
        }
        return trimmed
    }
}
