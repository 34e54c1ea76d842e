import CMariaDB

/// Owns the `MYSQL_BIND` array and every buffer it points to for one statement execution.
///
/// All memory is released in `deinit`, so every throw path frees it; keep the value alive
/// (`withExtendedLifetime`) until `mysql_stmt_execute` has returned.
final class ParameterBinds {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let count: Int
    private var buffers: [UnsafeMutableRawPointer] = []

    init(_ values: [MariaDBValue]) throws(MariaDBError) {
        count = values.count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        for (index, value) in values.enumerated() {
            try bind(value, at: index)
        }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
    }

    private func allocate(byteCount: Int, alignment: Int = 8) -> UnsafeMutableRawPointer {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: alignment)
        buffers.append(buffer)
        return buffer
    }

    private func bind(_ value: MariaDBValue, at index: Int) throws(MariaDBError) {
        let bind = binds + index
        switch value {
        case .null:
            bind.pointee.buffer_type = MYSQL_TYPE_NULL
        case .int(let v):
            let buffer = allocate(byteCount: 8)
            buffer.storeBytes(of: v, as: Int64.self)
            bind.pointee.buffer = buffer
            bind.pointee.buffer_type = MYSQL_TYPE_LONGLONG
            bind.pointee.is_unsigned = 0
        case .uint(let v):
            let buffer = allocate(byteCount: 8)
            buffer.storeBytes(of: v, as: UInt64.self)
            bind.pointee.buffer = buffer
            bind.pointee.buffer_type = MYSQL_TYPE_LONGLONG
            bind.pointee.is_unsigned = 1
        case .double(let v):
            let buffer = allocate(byteCount: 8)
            buffer.storeBytes(of: v, as: Double.self)
            bind.pointee.buffer = buffer
            bind.pointee.buffer_type = MYSQL_TYPE_DOUBLE
        case .string(let s):
            var s = s
            s.withUTF8 { bindBytes(UnsafeRawBufferPointer($0), type: MYSQL_TYPE_STRING, to: bind) }
        case .bytes(let b):
            b.withUnsafeBytes { bindBytes($0, type: MYSQL_TYPE_BLOB, to: bind) }
        case .date(let date):
            guard let time = CivilTime.mysqlTime(from: date) else {
                throw MariaDBError(.other, message: "parameter \(index + 1): date outside years 0...9999")
            }
            let buffer = allocate(byteCount: MemoryLayout<MYSQL_TIME>.size, alignment: MemoryLayout<MYSQL_TIME>.alignment)
            buffer.initializeMemory(as: MYSQL_TIME.self, to: time)
            bind.pointee.buffer = buffer
            bind.pointee.buffer_type = MYSQL_TYPE_DATETIME
            bind.pointee.buffer_length = UInt(MemoryLayout<MYSQL_TIME>.size)
        }
    }

    private func bindBytes(_ bytes: UnsafeRawBufferPointer, type: enum_field_types, to bind: UnsafeMutablePointer<MYSQL_BIND>) {
        let buffer = allocate(byteCount: bytes.count, alignment: 1)
        if let base = bytes.baseAddress, bytes.count > 0 {
            buffer.copyMemory(from: base, byteCount: bytes.count)
        }
        let length = allocate(byteCount: MemoryLayout<UInt>.size).bindMemory(to: UInt.self, capacity: 1)
        length.initialize(to: UInt(bytes.count))
        bind.pointee.buffer = buffer
        bind.pointee.buffer_length = UInt(bytes.count)
        bind.pointee.length = length
        bind.pointee.buffer_type = type
    }
}
