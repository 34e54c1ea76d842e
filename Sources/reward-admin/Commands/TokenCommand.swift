import ArgumentParser
import Foundation
import RewardCore
import RewardOps

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Decode a reward token and say whether it verifies, and why not; show the key ring.",
        subcommands: [Inspect.self, Verify.self, Keys.self])

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode a token's fields (no order needed).")

        @Argument(help: "The token (46 base64url characters).") var token: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try await CommandContext.make()
            let inspection = try TokenCommand.inspect(token, ring: try context.keyRing(), order: nil, checkExpiry: true)
            TokenCommand.show(inspection, json: json)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a token against the order it should prove; exit 1 when it does not.")

        @Argument(help: "The token (46 base64url characters).") var token: String
        @Option(help: "The order id the token should prove.") var order: String
        @Option(help: "The user who presents it.") var user: String
        @Option(name: .customLong("type"), help: "The reward type.") var rewardType: String
        @Option(help: "The amount in minor units (optional: checked when given).") var amount: Int64?
        @Option(help: "The activity id (required for a format 2 token, which binds it).") var activity: String?
        @Flag(help: "Do not refuse an expired token (a consumer settling a backlog does not check expiry).") var ignoreExpiry = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try await CommandContext.make()
            let inspection = try TokenCommand.inspect(
                token, ring: try context.keyRing(),
                order: TokenInspection.Order(orderID: order, userID: user, rewardType: rewardType, amount: amount, activityID: activity),
                checkExpiry: !ignoreExpiry)
            TokenCommand.show(inspection, json: json)
            if inspection.verification != "valid" { throw ExitCode(1) }
        }
    }

    static func inspect(_ token: String, ring: TokenKeyRing, order: TokenInspection.Order?, checkExpiry: Bool) throws
        -> TokenInspection
    {
        do {
            return try TokenInspection(token: token.trimmingCharacters(in: .whitespacesAndNewlines), ring: ring, order: order,
                                       checkExpiry: checkExpiry)
        } catch {
            throw ValidationError("not a reward token: \(error.code.rawValue): \(error.message)")
        }
    }

    static func show(_ inspection: TokenInspection, json: Bool) {
        if json {
            print((try? JSONOutput.string(inspection)) ?? "{}")
            return
        }
        print("format \(inspection.formatVersion), key \(inspection.keyID)\(inspection.keyKnown ? "" : " (NOT in this key ring)"), "
            + "amount \(inspection.amount)")
        print("issued \(Formatting.timestamp(inspection.issuedAt)), expires \(Formatting.timestamp(inspection.expiresAt))"
            + (inspection.expired ? " (EXPIRED)" : ""))
        if let verification = inspection.verification {
            print(verification == "valid"
                ? "verifies: valid for this order, user, type\(inspection.bindsActivity ? " and activity" : " (format 1: activity not bound)")"
                : "does NOT verify: \(verification): \(inspection.reason ?? "")")
        }
    }
}

extension TokenCommand {
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the token key ring: key ids, which one signs, fingerprints (never the keys).",
            discussion: "Rotation is in ops/runbook.md: add the new key everywhere, switch signing, retire the old key after the longest token lifetime.")

        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let context = try await CommandContext.make()
            let summary = TokenKeyRingSummary(try context.keyRing())
            if json { return print(try JSONOutput.string(summary)) }
            var table = TextTable(["KEY", "SIGNS", "FINGERPRINT", "PUBLISHED"])
            for key in summary.keys {
                table.add(["\(key.id)", key.signs ? "yes" : "-", key.fingerprint, key.published ? "YES (development only)" : "-"])
            }
            print(table.text)
            print("tokens: new tokens are format \(summary.mintVersion), signed with key \(summary.currentKeyID), "
                + "valid \(summary.lifetimeSeconds / 86_400) day(s) \(summary.lifetimeSeconds % 86_400 / 3600) h")
        }
    }
}
