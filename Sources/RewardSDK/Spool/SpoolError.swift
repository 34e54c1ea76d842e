/// Why the spool could not take a record or do its housekeeping. Never contains record contents.
struct SpoolError: Error, Sendable, CustomStringConvertible {
    enum Code: String, Sendable {
        /// Another live process (or client) holds the spool directory's lock.
        case locked
        /// A system call failed (the message names it and the errno text).
        case io
        /// The spool was closed (client shutdown).
        case closed
        /// A segment or checkpoint file is not in our format.
        case corrupt
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "spool \(code.rawValue): \(message)" }
}
