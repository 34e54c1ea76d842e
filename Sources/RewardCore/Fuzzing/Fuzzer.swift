/// One fuzz target: feeds outside bytes to the code that reads them, the way they would reach it,
/// and checks what must hold for any input. `reward-fuzz` drives every conformance, under
/// libFuzzer (`ops/fuzz`) and as a corpus replayer (the corpus test).
///
/// Package access: fuzz targets reach internal readers of several modules, and nothing outside this
/// package sees them.
package protocol Fuzzer: Sendable {
    /// Runs one input.
    /// - Returns: ``FuzzOutcome/accepted`` when the input got all the way through (a genuine
    ///   token, an event that decodes and verifies, ...); ``FuzzOutcome/refused`` when the code
    ///   refused it with an error value, which is the right answer for almost every input.
    /// - Throws: ``FuzzFailure`` when an invariant does not hold. Traps are failures too; they
    ///   end the process.
    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome
}

/// How an input that did not fail went.
package enum FuzzOutcome: Sendable, Hashable {
    case accepted
    case refused
}

/// An invariant that did not hold for an input: a defect, reported like a crash.
package struct FuzzFailure: Error, Sendable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) { self.description = description }
}

/// Throws ``FuzzFailure`` with `message` unless `condition` holds.
package func fuzzExpect(_ condition: Bool, _ message: @autoclosure () -> String) throws(FuzzFailure) {
    guard condition else { throw FuzzFailure(message()) }
}
