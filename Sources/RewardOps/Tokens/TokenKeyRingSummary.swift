public import RewardCore

/// The key ring as an operator may see it: ids, which key signs, fingerprints; never key material.
public struct TokenKeyRingSummary: Sendable, Codable, Hashable {
    public struct Key: Sendable, Codable, Hashable {
        public var id: Int
        public var signs: Bool
        public var fingerprint: String
        /// A key published in this repository: refused outside development mode.
        public var published: Bool
    }

    public var keys: [Key]
    public var currentKeyID: Int
    public var mintVersion: Int
    public var lifetimeSeconds: Int64

    public init(_ ring: TokenKeyRing) {
        keys = ring.keyIDs.map { id in
            Key(id: Int(id), signs: id == ring.currentKeyID, fingerprint: ring.fingerprints[id] ?? "-",
                published: ring.publishedKeyIDs.contains(id))
        }
        currentKeyID = Int(ring.currentKeyID)
        mintVersion = Int(ring.mintVersion.rawValue)
        lifetimeSeconds = ring.lifetime.components.seconds
    }
}
