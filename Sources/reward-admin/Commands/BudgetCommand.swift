import ArgumentParser
import RewardOps

struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Show and set budget caps per activity and reward type.",
        discussion: "Grants over a cap are held (counted here, parked as held_for_budget); after raising a cap, run `dlq replay --reason held_for_budget --execute`.",
        subcommands: [Show.self, SetCap.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Caps, issued and held amounts.")

        @Option(help: "Only this activity.") var activity: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try await CommandContext.make()
            let pool = try context.databasePool()
            let budgets: [BudgetStatus]
            do { budgets = try await BudgetAdministration(pool: pool).show(activityID: activity) } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
            if json { return print(try JSONOutput.string(budgets)) }
            var table = TextTable(["ACTIVITY", "TYPE", "CAP", "ISSUED", "USED", "HELD", "HELD-ORDERS", "STATUS"])
            for b in budgets {
                let status = b.heldOrders > 0 ? "HOLDING" : (b.isWarning ? "WARN" : "ok")
                table.add([b.activityID, b.rewardType, "\(b.cap)", "\(b.issued)", "\(Formatting.fixed(b.percentUsed, 1))%", "\(b.held)",
                           "\(b.heldOrders)", status])
            }
            print(table.text)
        }
    }

    struct SetCap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Create or change a cap (a preview unless --execute).")

        @Option(help: "Activity id.") var activity: String
        @Option(name: .customLong("type"), help: "Reward type.") var rewardType: String
        @Option(help: "Cap in minor units (or items).") var cap: Int64
        @Option(help: "Warn when this percent of the cap is issued.") var warnPercent: Int64?
        @Flag(help: "Apply it.") var execute = false

        func run() async throws {
            guard cap >= 0 else { throw ValidationError("--cap must not be negative") }
            if let warnPercent, !(1...100).contains(warnPercent) { throw ValidationError("--warn-percent must be 1-100") }
            let context = try await CommandContext.make()
            let pool = try context.databasePool()
            let administration = BudgetAdministration(pool: pool)
            do {
                guard execute else {
                    let current = try await administration.show(activityID: activity).first { $0.rewardType == rewardType }
                    await pool.shutdown()
                    print("budget preview: \(activity)/\(rewardType) cap \(current.map { String($0.cap) } ?? "none") -> \(cap); pass --execute")
                    return
                }
                let status = try await administration.set(activityID: activity, rewardType: rewardType, cap: cap, warnPercent: warnPercent)
                await pool.shutdown()
                print("budget: \(status.activityID)/\(status.rewardType) cap \(status.cap), issued \(status.issued), held \(status.held) "
                    + "in \(status.heldOrders) order(s)")
                if status.heldOrders > 0 { print("replay the held grants: reward-admin dlq replay --reason held_for_budget --execute") }
            } catch let refusal as BudgetAdministration.Refusal {
                await pool.shutdown()
                print("budget: \(refusal.description)")
                throw ExitCode(2)
            } catch {
                await pool.shutdown()
                throw error
            }
        }
    }
}
