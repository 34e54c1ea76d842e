import Foundation
public import Logging
import MariaDB
public import Metrics
public import RewardCore
import RewardSettlement

/// Builds the wallet page of one user from every store that knows about the user's rewards.
///
/// Balances come from `wallet_accounts`; pending rewards are the user's tokens whose order id is
/// not credited (claims, read by order id through the claims shards); the history merges tokens
/// with the ledgers' rows (`wallet_entries` of the user's account, `goods_grants`), a credited
/// reward shown once, at its token. The wallet store is core: without it the view fails. The
/// tokens and claims stores are not: without them the answer is reduced and says so in
/// ``WalletView/degraded``.
public struct WalletReader: Sendable {
    /// Page and scan bounds.
    public struct Configuration: Sendable {
        /// History items per page when the caller names none. Default 20.
        public var defaultLimit = 20
        /// The most history items per page. Default 100.
        public var maximumLimit = 100
        /// The newest tokens looked at for pending rewards. Default 1,000.
        public var pendingScanLimit = 1_000

        public init() {}
    }

    private let configuration: Configuration
    private let stores: WalletStores
    private let catalog: RewardCatalog
    private let tokens: TokenStore
    private let claims: ClaimReader
    private let logger: Logger
    private let metrics: WalletMetrics

    /// - Parameters:
    ///   - configuration: Page and scan bounds.
    ///   - stores: Tokens, claims, wallet and goods stores.
    ///   - catalog: Units of reward types.
    ///   - logger: Degradations at warning level.
    ///   - metrics: `reward_wallet_views_total{degraded}`.
    public init(configuration: Configuration = Configuration(), stores: WalletStores, catalog: RewardCatalog, logger: Logger,
                metrics: any MetricsFactory) {
        self.configuration = configuration
        self.stores = stores
        self.catalog = catalog
        self.tokens = TokenStore(shards: stores.tokens)
        self.claims = ClaimReader(shards: stores.settlement.claims)
        self.logger = logger
        self.metrics = WalletMetrics(factory: metrics)
    }

    /// The wallet page of `user`.
    /// - Parameters:
    ///   - user: The user id.
    ///   - cursor: ``WalletView/nextCursor`` of the previous page, or `nil` for the newest.
    ///   - limit: History items on this page (1...``Configuration/maximumLimit``); `nil` for the default.
    ///   - reduced: Read the ledger only (the operators' `wallet-reduced` switch): no pending
    ///     rewards, history without tokens; ``WalletView/degraded`` says `claims`, `tokens`.
    /// - Throws: ``WalletError`` `invalid_user_id`, `invalid_cursor`, `invalid_limit`, or
    ///   `wallet_unavailable` when the wallet store does not answer.
    public func view(user: String, cursor: String? = nil, limit: Int? = nil, reduced: Bool = false) async throws(WalletError)
        -> WalletView
    {
        try Identifiers.checkUser(user)
        let limit = limit ?? configuration.defaultLimit
        guard (1...configuration.maximumLimit).contains(limit) else {
            throw WalletError(.invalidLimit, "limit must be 1-\(configuration.maximumLimit)")
        }
        let start = try cursor.map { c throws(WalletError) in try HistoryCursor.decode(c) }
        var session = ViewSession()
        if reduced { session.degraded = ["tokens", "claims"] }
        let balances: [WalletBalance]
        do {
            balances = try await readBalances(user)
        } catch {
            logger.warning("wallet view: wallet store unavailable", metadata: ["error": "\(error)"])
            throw WalletError(.walletUnavailable, "the wallet is unavailable right now; try again shortly")
        }
        let pending = await readPending(user, &session)
        let page: (items: [WalletHistoryItem], next: HistoryPosition?)
        do {
            page = try await readHistory(user, after: start, limit: limit, &session)
        } catch {
            logger.warning("wallet view: ledger history unavailable", metadata: ["error": "\(error)"])
            throw WalletError(.walletUnavailable, "the wallet history is unavailable right now; try again shortly")
        }
        let degraded = session.degraded.sorted()
        metrics.view(degraded: degraded)
        var totals: [String: Int64] = [:]
        for reward in pending.rewards {
            let (sum, overflow) = totals[reward.unit, default: 0].addingReportingOverflow(reward.amount)
            totals[reward.unit] = overflow ? Int64.max : sum
        }
        return WalletView(
            userID: user, balances: balances, pending: pending.rewards, pendingTotals: totals, pendingTruncated: pending.truncated,
            history: page.items, nextCursor: page.next.map(HistoryCursor.encode), degraded: degraded)
    }

    // MARK: Parts

    /// What failed while building one view.
    private struct ViewSession {
        var degraded: Set<String> = []
        var tokensDown: Bool { degraded.contains("tokens") }
        var claimsDown: Bool { degraded.contains("claims") }
    }

    private func readBalances(_ user: String) async throws -> [WalletBalance] {
        let rows = try await stores.settlement.wallet.pool(for: user).query("""
            SELECT currency, balance, credited, debited FROM wallet_accounts WHERE user_id = \(user) ORDER BY currency
            """)
        return try rows.map {
            WalletBalance(currency: try $0.decode("currency"), balance: try $0.decode("balance"),
                          credited: try $0.decode("credited"), debited: try $0.decode("debited"))
        }
    }

    private func readPending(_ user: String, _ session: inout ViewSession) async -> (rewards: [PendingReward], truncated: Bool) {
        guard !session.tokensDown else { return ([], false) }
        let recent: [StoredToken]
        do {
            recent = try await tokens.recent(user: user, limit: configuration.pendingScanLimit)
        } catch {
            degrade("tokens", error, &session)
            return ([], false)
        }
        let statuses = await statuses(of: recent, user: user, &session)
        let rewards = recent.filter { statuses[$0.orderID] == .pending }.map { token in
            PendingReward(orderID: token.orderID, rewardType: token.rewardType, amount: token.amount, unit: unit(token.rewardType),
                          activityID: token.activityID, sceneID: token.sceneID, token: token.token, issuedAt: token.issuedAt,
                          expiresAt: token.expiresAt)
        }
        return (rewards, recent.count >= configuration.pendingScanLimit)
    }

    /// Claim status per token; from the ledgers when the claims store does not answer.
    private func statuses(of tokens: [StoredToken], user: String, _ session: inout ViewSession) async -> [String: ClaimStatus] {
        guard !tokens.isEmpty else { return [:] }
        if !session.claimsDown {
            do {
                let rows = try await claims.read(tokens.map(\.orderID))
                return Dictionary(tokens.map { token in
                    (token.orderID, ClaimReader.status(of: identity(of: token, user: user), claim: rows[token.orderID]))
                }, uniquingKeysWith: { a, _ in a })
            } catch {
                degrade("claims", error, &session)
            }
        }
        // Reduced: credited when a built-in ledger has it, else pending (conflicts are not visible).
        let credited = (try? await ledgerCredited(user: user, orderIDs: tokens.map(\.orderID))) ?? []
        return Dictionary(tokens.map { ($0.orderID, credited.contains($0.orderID) ? .credited : .pending) },
                          uniquingKeysWith: { a, _ in a })
    }

    private func ledgerCredited(user: String, orderIDs: [String]) async throws -> Set<String> {
        var found = Set<String>()
        var entries: SQLQuery = "SELECT order_id FROM wallet_entries WHERE user_id = \(user) AND account = \(user) AND order_id IN "
        entries.appendList(Set(orderIDs).sorted())
        for row in try await stores.settlement.wallet.pool(for: user).query(entries) { found.insert(try row.decode("order_id")) }
        var goods: SQLQuery = "SELECT order_id FROM goods_grants WHERE user_id = \(user) AND order_id IN "
        goods.appendList(Set(orderIDs).sorted())
        for row in try await stores.settlement.goods.pool(for: user).query(goods) { found.insert(try row.decode("order_id")) }
        return found
    }

    private func degrade(_ store: String, _ error: any Error, _ session: inout ViewSession) {
        guard session.degraded.insert(store).inserted else { return }
        logger.warning("wallet view degraded: a non-core store did not answer", metadata: ["store": "\(store)", "error": "\(error)"])
    }

    private func identity(of token: StoredToken, user: String) -> ClaimIdentity {
        ClaimIdentity(userID: user, activityID: token.activityID, rewardType: token.rewardType, amount: token.amount)
    }

    private func unit(_ rewardType: String) -> String { catalog[rewardType]?.unit ?? "unknown" }

    // MARK: History: a k-way merge of three sources, each read page by page after a position

    private struct Row: Sendable {
        var position: HistoryPosition
        /// `nil`: a ledger row whose reward is shown at its token instead.
        var item: WalletHistoryItem?
    }

    private struct Source {
        var rank: Int
        var buffer: ArraySlice<Row> = []
        var exhausted = false
    }

    private func readHistory(_ user: String, after start: HistoryPosition?, limit: Int, _ session: inout ViewSession) async throws
        -> (items: [WalletHistoryItem], next: HistoryPosition?)
    {
        let batch = limit + 1
        var sources = [HistoryPosition.tokenRank, HistoryPosition.entryRank, HistoryPosition.goodsRank].map { Source(rank: $0) }
        var position = start
        var items: [WalletHistoryItem] = []
        var last: HistoryPosition?
        while true {
            for index in sources.indices where sources[index].buffer.isEmpty && !sources[index].exhausted {
                let rows: [Row]
                switch sources[index].rank {
                case HistoryPosition.tokenRank:
                    if session.tokensDown {
                        rows = []
                    } else {
                        do {
                            rows = try await tokenRows(user, after: position, limit: batch, &session)
                        } catch {
                            degrade("tokens", error, &session)
                            rows = []
                        }
                    }
                case HistoryPosition.entryRank:
                    rows = try await entryRows(user, after: position, limit: batch, &session)
                default:
                    rows = try await goodsRows(user, after: position, limit: batch, &session)
                }
                sources[index].buffer = rows[...]
                sources[index].exhausted = rows.count < batch
            }
            // The source whose head comes first in history order.
            var first: (index: Int, row: Row)?
            for index in sources.indices {
                guard let head = sources[index].buffer.first else { continue }
                if let best = first, !(head.position < best.row.position) { continue }
                first = (index, head)
            }
            guard let (next, row) = first else { return (items, nil) }
            if items.count == limit, row.item != nil { return (items, last) }
            sources[next].buffer.removeFirst()
            position = row.position
            if let item = row.item {
                items.append(item)
                last = row.position
            }
        }
    }

    private func tokenRows(_ user: String, after position: HistoryPosition?, limit: Int, _ session: inout ViewSession) async throws
        -> [Row]
    {
        let page = try await tokens.page(user: user, after: position, limit: limit)
        let statuses = await statuses(of: page, user: user, &session)
        return page.map { token in
            let status: WalletHistoryItem.Status = switch statuses[token.orderID] ?? .pending {
            case .pending: .pending
            case .credited: .credited
            case .conflict: .refused
            }
            let transfer: String? = status == .credited && catalog[token.rewardType]?.ledger == "wallet" ? "credit:\(token.orderID)" : nil
            return Row(
                position: HistoryPosition(date: token.issuedAt, rank: HistoryPosition.tokenRank, id: token.orderID),
                item: WalletHistoryItem(
                    kind: .reward, status: status, orderID: token.orderID, transferID: transfer, rewardType: token.rewardType,
                    activityID: token.activityID, amount: token.amount, unit: unit(token.rewardType), at: token.issuedAt,
                    token: token.token))
        }
    }

    private func entryRows(_ user: String, after position: HistoryPosition?, limit: Int, _ session: inout ViewSession) async throws
        -> [Row]
    {
        var query: SQLQuery = """
            SELECT entry_id, transfer_id, currency, amount, order_id, activity_id, reward_type, created_at FROM wallet_entries
            WHERE user_id = \(user) AND account = \(user)
            """
        position?.appendCondition(to: &query, rank: HistoryPosition.entryRank, time: "created_at", id: "entry_id",
                                  idValue: UInt64(position?.id ?? "") ?? 0)
        query.append(sql: " ORDER BY created_at DESC, entry_id DESC LIMIT \(limit)")
        let rows = try await stores.settlement.wallet.pool(for: user).query(query)
        struct Entry {
            var id: UInt64, transfer: String, currency: String, amount: Int64, orderID: String?, activityID: String?
            var rewardType: String?, created: Date
        }
        let entries = try rows.map {
            Entry(id: try $0.decode("entry_id"), transfer: try $0.decode("transfer_id"), currency: try $0.decode("currency"),
                  amount: try $0.decode("amount"), orderID: try $0.decode("order_id"), activityID: try $0.decode("activity_id"),
                  rewardType: try $0.decode("reward_type"), created: try $0.decode("created_at"))
        }
        let shownAtToken = await tokenOrderIDs(user, entries.compactMap(\.orderID), &session)
        return entries.map { entry in
            let position = HistoryPosition(date: entry.created, rank: HistoryPosition.entryRank, id: String(entry.id))
            if let orderID = entry.orderID, shownAtToken.contains(orderID) { return Row(position: position, item: nil) }
            let isWithdrawal = entry.transfer.hasPrefix("withdraw:")
            return Row(position: position, item: WalletHistoryItem(
                kind: isWithdrawal ? .withdrawal : .reward, status: isWithdrawal ? .withdrawn : .credited, orderID: entry.orderID,
                transferID: entry.transfer, rewardType: entry.rewardType, activityID: entry.activityID,
                amount: entry.amount.magnitude > UInt64(Int64.max) ? Int64.max : Int64(entry.amount.magnitude),
                unit: entry.currency, at: entry.created, token: nil))
        }
    }

    private func goodsRows(_ user: String, after position: HistoryPosition?, limit: Int, _ session: inout ViewSession) async throws
        -> [Row]
    {
        var query: SQLQuery = """
            SELECT grant_id, order_id, item_type, quantity, activity_id, created_at FROM goods_grants WHERE user_id = \(user)
            """
        position?.appendCondition(to: &query, rank: HistoryPosition.goodsRank, time: "created_at", id: "grant_id",
                                  idValue: UInt64(position?.id ?? "") ?? 0)
        query.append(sql: " ORDER BY created_at DESC, grant_id DESC LIMIT \(limit)")
        let rows = try await stores.settlement.goods.pool(for: user).query(query)
        let orderIDs = try rows.map { try $0.decode("order_id", as: String.self) }
        let shownAtToken = await tokenOrderIDs(user, orderIDs, &session)
        return try rows.map { row in
            let orderID: String = try row.decode("order_id")
            let created: Date = try row.decode("created_at")
            let position = HistoryPosition(date: created, rank: HistoryPosition.goodsRank, id: String(try row.decode("grant_id", as: UInt64.self)))
            if shownAtToken.contains(orderID) { return Row(position: position, item: nil) }
            return Row(position: position, item: WalletHistoryItem(
                kind: .reward, status: .credited, orderID: orderID, transferID: nil, rewardType: try row.decode("item_type"),
                activityID: try row.decode("activity_id"), amount: try row.decode("quantity"), unit: "item", at: created, token: nil))
        }
    }

    /// Which of these order ids have a token (their reward is shown at the token); none when the
    /// tokens store is down, so every ledger row shows on its own.
    private func tokenOrderIDs(_ user: String, _ orderIDs: [String], _ session: inout ViewSession) async -> Set<String> {
        guard !orderIDs.isEmpty, !session.tokensDown else { return [] }
        do {
            return Set(try await tokens.lookup(user: user, orderIDs: orderIDs).keys)
        } catch {
            degrade("tokens", error, &session)
            return []
        }
    }
}
