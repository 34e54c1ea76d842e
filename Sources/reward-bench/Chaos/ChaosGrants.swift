/// Every grant the run's traffic sent and which of them were answered (accepted with a token):
/// the only source the books check against. A grant sent but never answered (its process was
/// killed, or it was refused) may be credited at most once; an answered one exactly once.
actor ChaosGrants {
    struct Variant: Hashable, Sendable {
        var type: String
        var amount: Int64
        var user: String
    }

    private(set) var sent: [String: Set<Variant>] = [:]
    private(set) var answered: [String: Set<Variant>] = [:]

    func sent(_ order: String, _ variant: Variant) { sent[order, default: []].insert(variant) }

    func answered(_ order: String, _ variant: Variant) {
        sent[order, default: []].insert(variant)
        answered[order, default: []].insert(variant)
    }

    /// Reads one line of `reward-sdk-probe grant-loop --describe`; other lines are ignored.
    func record(probeLine line: String) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 5, let amount = Int64(fields[3]) else { return }
        let variant = Variant(type: String(fields[2]), amount: amount, user: String(fields[4]))
        switch fields[0] {
        case "sent": sent(String(fields[1]), variant)
        case "answered": answered(String(fields[1]), variant)
        default: break
        }
    }
}
