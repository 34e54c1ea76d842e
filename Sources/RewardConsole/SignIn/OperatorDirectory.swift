import Crypto
import Foundation
public import RewardCore

/// The operators who may sign in to the console, each with a token of their own, so every change
/// is recorded under a person's name. Only SHA-256 digests of the tokens are kept in memory.
public struct OperatorDirectory: Sendable {
    private let digests: [String: [UInt8]]
    /// Compared against when the name is unknown, so an unknown name costs the same as a wrong token.
    private let decoy: [UInt8] = Array(SHA256.hash(data: Array("no such operator".utf8)))

    /// The shortest token accepted: a guessable token would make the whole page guessable.
    public static let minimumTokenLength = 16

    /// - Parameter tokens: Operator name → token.
    /// - Throws: ``ConfigurationError`` for an empty directory, a name that is not 1–64 letters,
    ///   digits, `.`, `_` or `-`, or a token shorter than ``minimumTokenLength``.
    public init(tokens: [String: String]) throws(ConfigurationError) {
        guard !tokens.isEmpty else {
            throw ConfigurationError(code: "console.no_operators", message: "the operators file names no operator")
        }
        var digests: [String: [UInt8]] = [:]
        for (name, token) in tokens {
            guard Self.isValidName(name) else {
                throw ConfigurationError(code: "console.invalid_operator",
                                         message: "operator names are 1-64 letters, digits, '.', '_' or '-'")
            }
            guard token.utf8.count >= Self.minimumTokenLength else {
                throw ConfigurationError(code: "console.weak_token",
                                         message: "the token of operator \(name) is shorter than \(Self.minimumTokenLength) characters")
            }
            digests[name] = Array(SHA256.hash(data: Array(token.utf8)))
        }
        self.digests = digests
    }

    /// Reads `{"operators": {"<name>": "<token>"}}`.
    /// - Throws: ``ConfigurationError`` when the file is missing or not of that shape (never quoting it).
    public static func load(from path: String) throws(ConfigurationError) -> OperatorDirectory {
        struct File: Decodable { var operators: [String: String] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(code: "console.operators_missing", message: "no operators file at \(path)")
        }
        guard let file = try? JSONDecoder().decode(File.self, from: data) else {
            throw ConfigurationError(code: "console.operators_unreadable",
                                     message: "\(path) is not JSON {\"operators\": {\"name\": \"token\"}}")
        }
        return try OperatorDirectory(tokens: file.operators)
    }

    /// The operator's name when `token` is theirs, else `nil` — after the same work either way.
    public func authenticate(name: String, token: String) -> String? {
        let presented = Array(SHA256.hash(data: Array(token.utf8)))
        let expected = digests[name]
        let matches = ConstantTime.equal(presented, expected ?? decoy)
        return matches && expected != nil ? name : nil
    }

    /// The operators' names, sorted.
    public var names: [String] { digests.keys.sorted() }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { $0.isASCIILetterOrDigit || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

extension UInt8 {
    var isASCIILetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
