import Foundation
import RewardAPI
import RewardCore
import RewardSDK
import RewardWallet

/// The fuzz targets, by the names `ops/fuzz`, `Fuzz/corpus/<name>/` and `REWARD_FUZZ_TARGET` use.
enum FuzzTarget: String, CaseIterable, Sendable {
    case token
    case bonusEvent = "bonus-event"
    case signedRequest = "signed-request"
    case walletCursor = "wallet-cursor"
    case spoolSegment = "spool-segment"

    /// What runs an input of this target; built once per process.
    var fuzzer: any Fuzzer {
        switch self {
        case .token: TokenFuzzer(ring: FuzzFixture.ring, grant: FuzzFixture.grant, now: FuzzFixture.now)
        case .bonusEvent: BonusEventFuzzer(ring: FuzzFixture.ring, now: FuzzFixture.now)
        case .signedRequest: SignedRequestFuzzer(services: FuzzFixture.services, window: FuzzFixture.signatureWindow, now: FuzzFixture.now)
        case .walletCursor: HistoryCursorFuzzer()
        case .spoolSegment: SpoolSegmentFuzzer()
        }
    }
}

/// What every target checks against. Fixed (the clock too), so an input does the same on every
/// run and a crash replays. Keys and secrets here are published: they sign nothing real.
enum FuzzFixture {
    /// 2027-01-15T08:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    /// Key 1 is the test kit's published key (``PublishedKeys`` refuses it in production), key 2 a second one.
    static let keys: [UInt8: [UInt8]] = [1: Array(repeating: 0x2A, count: 32), 2: Array(0..<32)]
    /// The ring the targets verify with: keys 1 and 2, as during a rotation.
    static let ring = makeRing(current: 2)

    /// A ring over ``keys`` (plus key 3 when minting "unknown key" seeds), minting with `current`.
    static func makeRing(current: UInt8, mintVersion: RewardToken.Version = .v2, extraKey: Bool = false) -> TokenKeyRing {
        var keys = self.keys
        if extraKey { keys[3] = Array(repeating: 0x33, count: 32) }
        // Fixed keys of 32 bytes, current key present: init cannot refuse them.
        return try! TokenKeyRing(keys: keys, currentKeyID: current, lifetime: .seconds(30 * 24 * 3600), mintVersion: mintVersion)
    }

    /// The grant the token target checks every token against.
    static let grant = BonusEvent(
        orderID: "rain:spring-gala-2027:1:u12345:7", activity: Activity(id: "spring-gala-2027", sceneID: "rain-round-1"),
        user: User(id: "u12345", deviceID: "dev-9f8e7d", appID: "main-app"),
        bonus: BonusContent(rewardType: "cash_red_envelope", amount: 888, extensions: ["round": "1"]), lane: .cash,
        grantedAtMilliseconds: 1_799_996_400_000, token: "", grantedBy: "rain-svc")

    static let signatureWindow = Duration.seconds(300)
    static let rainSecret = Array(repeating: UInt8(0x11), count: 32)
    static let cardsSecret = Array(repeating: UInt8(0x22), count: 32)
    static let services: [String: CallingService] = [
        "rain-svc": CallingService(secret: rainSecret, scope: ServiceScope(
            activities: ["spring-gala-*"], rewardTypes: ["cash_red_envelope": 88_800, "coupon_10off": 1])),
        "cards": CallingService(secret: cardsSecret, scope: ServiceScope(
            activities: ["card-collect-2027"], rewardTypes: ["frame_gold": 1])),
    ]
}
