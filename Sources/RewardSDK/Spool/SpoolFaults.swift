/// Test hooks for the spool's file calls: a full disk or a failing `fdatasync`, injected per spool.
///
/// Empty in production (``none``); tests set them through ``RewardClientConfiguration/SpoolOptions``
/// or ``Spool/open(directory:segmentBytes:logger:faults:depthChanged:)``. They run on the thread
/// that makes the call, before it is made.
struct SpoolFaults: Sendable {
    /// What a `write(2)` of `count` bytes to `path` may do: `nil` writes everything; otherwise the
    /// first `allowed` bytes are written and the call then fails with `errno` (a disk that fills up
    /// mid-write: `ENOSPC` after a short write).
    var write: (@Sendable (_ path: String, _ count: Int) -> (allowed: Int, errno: Int32)?)?
    /// An errno that the `fdatasync` of `path` fails with, or `nil`.
    var sync: (@Sendable (_ path: String) -> Int32?)?

    static let none = SpoolFaults()
}
