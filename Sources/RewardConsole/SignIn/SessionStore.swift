import Synchronization

/// The console's sessions, in memory: a restart signs everyone out, and nothing about a session
/// is in the cookie but its random id. Bounded, so a flood of sign-ins cannot grow it without end.
public final class SessionStore: Sendable {
    private let sessions = Mutex<[String: OperatorSession]>([:])
    private let lifetime: Duration
    private let maximum: Int

    /// - Parameters:
    ///   - lifetime: How long a sign-in lasts.
    ///   - maximum: Sessions kept at most; beyond it the one closest to expiry goes first.
    public init(lifetime: Duration, maximum: Int = 1_000) {
        self.lifetime = lifetime
        self.maximum = max(1, maximum)
    }

    /// Opens a session for an operator who just proved their token.
    public func open(for operatorName: String) -> OperatorSession {
        let now = ContinuousClock.now
        let session = OperatorSession(id: RandomToken.make(), operatorName: operatorName, csrfToken: RandomToken.make(),
                                      expires: now + lifetime)
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            while sessions.count >= maximum, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions[oldest.key] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with this id, if any.
    public func find(_ id: String?) -> OperatorSession? {
        guard let id else { return nil }
        let now = ContinuousClock.now
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    /// Ends a session (sign-out).
    public func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}
