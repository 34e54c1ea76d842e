import RewardCore
import RewardOps

/// One dead letter: where it came from, why it is parked, its record (decoded where it is an
/// event, and as escaped text and hex either way: the bytes are whatever arrived), and what a
/// replay would do with it, decided by the replayer's own rule. Nothing is replayed from here.
struct DeadLetterPage {
    let letter: DeadLetter
    let decision: DeadLetterReplayer.Decision
    let maximumReplays: Int
    let session: OperatorSession

    /// Bytes of the payload shown; the row keeps up to 1 MiB.
    static let shownBytes = 4_096

    var html: HTML {
        let payload = letter.payload ?? []
        let shown = Array(payload.prefix(Self.shownBytes))
        let text = String(decoding: shown, as: UTF8.self)
        let hex = stride(from: 0, to: min(shown.count, 512), by: 32).map { start in
            Hex.string(shown[start..<min(start + 32, shown.count)], separator: " ")
        }.joined(separator: "\n")
        let replays = "\(letter.attempts) / \(letter.replayCount)"
        let failed = "\(Formatting.timestamp(letter.firstFailedAt)) / \(Formatting.timestamp(letter.lastFailedAt))"
        let fields = HTML(joining: [
            field("origin", letter.origin), field("state", letter.state), field("order", letter.orderID ?? "-", figure: "dl-order"),
            field("type", letter.rewardType ?? "-"), field("reason", "\(letter.reasonCode): \(letter.reason)", figure: "dl-reason"),
            field("attempts / replays", replays), field("last replay", letter.lastReplayOutcome ?? "never"),
            field("first / last failed", failed),
        ])
        let cut = payload.count > shown.count ? ", first \(shown.count) shown" : ""
        let body: HTML = """
            <section class="wide"><h2>Dead letter \(letter.id)</h2><table>\(fields)</table></section>
            <section class="wide"><h2>Replay preview</h2><p data-figure="replay-preview">\(preview)</p>
            <p class="quiet">A preview only: replay runs from <code>reward-admin dlq replay --id \(letter.id) --execute</code>, \
            which decides by the same rule.</p></section>
            <section class="wide"><h2>Record</h2>\(decoded)
            <h3>Payload as text (\(payload.count) bytes\(cut))</h3><pre data-figure="dl-payload">\(text)</pre>
            <h3>Hex (first \(min(shown.count, 512)) bytes)</h3><pre>\(hex)</pre></section>
            """
        return PageLayout.page(title: "Dead letter \(letter.id) · Reward console", operatorBar: PageLayout.operatorBar(session), body)
    }

    private func field(_ name: String, _ value: String, figure: String? = nil) -> HTML {
        let attribute: HTML = figure.map { " data-figure=\"\($0)\"" } ?? ""
        return "<tr><th>\(name)</th><td\(attribute)>\(value)</td></tr>"
    }

    private var preview: HTML {
        switch decision {
        case .notParked: return "not parked (\(letter.state)): a replay skips it"
        case .atLimit:
            return "<span class=\"warn\">replayed \(letter.replayCount) times (limit \(maximumReplays)): a replay leaves it alone</span>"
        case .undecodable(let error):
            return "<span class=\"bad\">not an event we can read (\(error.description)): a replay counts it and leaves it parked</span>"
        case .refused(let error):
            return """
                <span class="bad">refused: \(error.code.rawValue): \(error.message) — the token does not verify, \
                so a replay never settles it</span>
                """
        case .settle(let grant):
            return """
                <span class="ok">would settle</span> \(grant.event.bonus.amount) \(grant.event.bonus.rewardType) to user \
                \(grant.event.user.id) (order \(grant.orderID.rawValue), activity \(grant.event.activity.id)) through the engine; \
                an order credited already answers already_credited
                """
        }
    }

    private var decoded: HTML {
        guard let event = try? BonusEvent.decode(letter.payload) else {
            return "<p class=\"quiet\">the payload is not a bonus event</p>"
        }
        return """
            <table><tr><th>order</th><td>\(event.orderID.rawValue)</td></tr><tr><th>user</th><td>\(event.user.id)</td></tr>
            <tr><th>activity</th><td>\(event.activity.id) / \(event.activity.sceneID)</td></tr>
            <tr><th>reward</th><td>\(event.bonus.amount) \(event.bonus.rewardType)</td></tr>
            <tr><th>lane</th><td>\(event.lane.rawValue)</td></tr>
            <tr><th>token</th><td><code>\(event.token)</code></td></tr></table>
            """
    }
}
