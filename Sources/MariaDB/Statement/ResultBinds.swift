import CMariaDB

/// Owns the output `MYSQL_BIND` array and buffers for one result set and turns fetched rows into values.
///
/// Each column gets a typed buffer chosen from its field metadata: integers as 64-bit (signed or
/// unsigned by `UNSIGNED_FLAG`), floating point as double, dates as `MYSQL_TIME`, and everything else
/// as bytes sized from `max_length` (`STMT_ATTR_UPDATE_MAX_LENGTH`) but at most 64 KiB. A value longer
/// than its buffer is read again in full with `mysql_stmt_fetch_column`, so long columns are never
/// truncated and one huge value does not size the buffer every row reuses.
final class ResultBinds {
    enum Kind {
        case signed, unsigned, double, text, binary, dateTime
    }

    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let count: Int
    private let kinds: [Kind]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>
    private var buffers: [UnsafeMutableRawPointer] = []

    /// The largest buffer a text or binary column gets up front; longer values are refetched.
    static let initialBufferLimit = 64 * 1024

    /// The character set number MariaDB uses for binary strings.
    private static let binaryCharset: UInt32 = 63

    init(fields: UnsafeMutablePointer<MYSQL_FIELD>, count: Int) {
        self.count = count
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        nulls = .allocate(capacity: count)
        nulls.initialize(repeating: 0, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: 0, count: count)

        var kinds: [Kind] = []
        kinds.reserveCapacity(count)
        for i in 0..<count {
            let field = fields[i]
            let kind = Self.kind(of: field)
            kinds.append(kind)
            let bind = binds + i
            bind.pointee.length = lengths + i
            bind.pointee.is_null = nulls + i
            bind.pointee.error = errors + i
            let byteCount: Int
            switch kind {
            case .signed, .unsigned:
                bind.pointee.buffer_type = MYSQL_TYPE_LONGLONG
                bind.pointee.is_unsigned = kind == .unsigned ? 1 : 0
                byteCount = 8
            case .double:
                bind.pointee.buffer_type = MYSQL_TYPE_DOUBLE
                byteCount = 8
            case .dateTime:
                bind.pointee.buffer_type = MYSQL_TYPE_DATETIME
                byteCount = MemoryLayout<MYSQL_TIME>.size
            case .text:
                bind.pointee.buffer_type = MYSQL_TYPE_STRING
                byteCount = min(Int(field.max_length), Self.initialBufferLimit)
            case .binary:
                bind.pointee.buffer_type = MYSQL_TYPE_BLOB
                byteCount = min(Int(field.max_length), Self.initialBufferLimit)
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 8)
            buffers.append(buffer)
            bind.pointee.buffer = buffer
            bind.pointee.buffer_length = UInt(max(byteCount, 1))
        }
        self.kinds = kinds
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        binds.deinitialize(count: count)
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
        errors.deallocate()
    }

    private static func kind(of field: MYSQL_FIELD) -> Kind {
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_INT24, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            return field.flags & UInt32(UNSIGNED_FLAG) != 0 ? .unsigned : .signed
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            return .double
        case MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE, MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP,
            MYSQL_TYPE_DATETIME2, MYSQL_TYPE_TIMESTAMP2:
            return .dateTime
        case MYSQL_TYPE_BIT, MYSQL_TYPE_GEOMETRY:
            return .binary
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB,
            MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR:
            return field.charsetnr == binaryCharset ? .binary : .text
        default:  // DECIMAL, TIME, ENUM, SET, JSON, NULL: their text form
            return .text
        }
    }

    /// Reads the current row after a successful `mysql_stmt_fetch` (or one that reported truncation).
    func readRow(statement: UnsafeMutablePointer<MYSQL_STMT>) throws(MariaDBError) -> [MariaDBValue] {
        var values: [MariaDBValue] = []
        values.reserveCapacity(count)
        for i in 0..<count {
            values.append(try value(at: i, statement: statement))
        }
        return values
    }

    private func value(at i: Int, statement: UnsafeMutablePointer<MYSQL_STMT>) throws(MariaDBError) -> MariaDBValue {
        if nulls[i] != 0 { return .null }
        let buffer = UnsafeRawPointer(binds[i].buffer!)
        switch kinds[i] {
        case .signed:
            return .int(buffer.loadUnaligned(as: Int64.self))
        case .unsigned:
            return .uint(buffer.loadUnaligned(as: UInt64.self))
        case .double:
            return .double(buffer.loadUnaligned(as: Double.self))
        case .dateTime:
            let time = buffer.loadUnaligned(as: MYSQL_TIME.self)
            if let date = CivilTime.date(from: time) { return .date(date) }
            return .string(CivilTime.text(of: time))  // zero date: no Date; decoding it as Date fails cleanly
        case .text, .binary:
            let length = Int(lengths[i])
            if length <= Int(binds[i].buffer_length) {
                return makeValue(kinds[i], UnsafeRawBufferPointer(start: buffer, count: length))
            }
            return try refetch(column: i, length: length, statement: statement)
        }
    }

    /// Reads a value longer than its buffer in full with `mysql_stmt_fetch_column`.
    private func refetch(column i: Int, length: Int, statement: UnsafeMutablePointer<MYSQL_STMT>) throws(MariaDBError) -> MariaDBValue {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 1)
        defer { buffer.deallocate() }
        var actualLength: UInt = 0
        var isNull: my_bool = 0
        var bind = MYSQL_BIND()
        bind.buffer_type = binds[i].buffer_type
        bind.buffer = buffer
        bind.buffer_length = UInt(length)
        let rc = withUnsafeMutablePointer(to: &actualLength) { lengthPointer in
            withUnsafeMutablePointer(to: &isNull) { nullPointer in
                bind.length = lengthPointer
                bind.is_null = nullPointer
                return mysql_stmt_fetch_column(statement, &bind, UInt32(i), 0)
            }
        }
        guard rc == 0 else {
            throw MariaDBError(.other, message: "could not read column \(i + 1) in full (\(length) bytes)")
        }
        return makeValue(kinds[i], UnsafeRawBufferPointer(start: buffer, count: min(length, Int(actualLength))))
    }

    private func makeValue(_ kind: Kind, _ bytes: UnsafeRawBufferPointer) -> MariaDBValue {
        if kind == .binary { return .bytes([UInt8](bytes)) }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}
