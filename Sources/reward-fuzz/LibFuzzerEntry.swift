#if FUZZING
import Foundation
import RewardCore

#if canImport(Glibc)
import Glibc
#endif

// The instrumented build (`ops/fuzz`): `swift build -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer`.
//
// swiftc links libFuzzer whole-archive, its `main` included, and SwiftPM links an executable with
// `--defsym main=reward_fuzz_main` (its renamed entry point). With no `@main` in this build, the
// function below is that entry point: it hands the command line to libFuzzer's driver, so every
// libFuzzer flag works. The target comes from REWARD_FUZZ_TARGET, so one binary serves all of them.

/// libFuzzer's driver (`FuzzerInterface.h`), declared with the C calling convention.
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target this process fuzzes, chosen once from the environment.
let fuzzTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["REWARD_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("reward-fuzz: set REWARD_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(64)
    }
    return target
}()
let fuzzer = fuzzTarget.fuzzer

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        _ = try fuzzer.run(input)
    } catch {
        // An invariant failed: a crash to libFuzzer, which saves the input.
        fatalError("\(fuzzTarget.rawValue): \(error)")
    }
    return 0
}

@_cdecl("reward_fuzz_main")
func rewardFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    _ = fuzzer
    // libFuzzer keeps a signal handler that is already installed, and Swift's backtracer installs
    // one: without this a trap prints a backtrace but libFuzzer never saves the input.
    for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
        Glibc.signal(signal, SIG_DFL)
    }
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
}
#endif
