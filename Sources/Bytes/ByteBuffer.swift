/// A growable byte buffer with a read cursor, owned by one thread.
///
/// Bytes live in `storage[readerIndex..<writerIndex]`. Reads from a socket land directly in the
/// spare capacity (no intermediate copy), and consumers advance `readerIndex` as they parse.
/// It is a class so that its memory is freed exactly once, in `deinit`.
public final class ByteBuffer {
    public private(set) var capacity: Int
    public private(set) var readerIndex: Int = 0
    public private(set) var writerIndex: Int = 0
    private var storage: UnsafeMutableRawPointer

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Bytes written and not yet consumed.
    @inlinable public var readableCount: Int { writerIndex - readerIndex }
    public var isEmpty: Bool { readerIndex == writerIndex }
    public var spareCount: Int { capacity - writerIndex }

    /// The unread bytes; valid until the next mutation of the buffer.
    public var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + readerIndex, count: writerIndex - readerIndex)
    }

    /// Marks `count` unread bytes as consumed; an emptied buffer rewinds to offset 0.
    public func consume(_ count: Int) {
        precondition(count >= 0 && count <= readableCount)
        readerIndex += count
        if readerIndex == writerIndex {
            readerIndex = 0
            writerIndex = 0
        }
    }

    public func clear() {
        readerIndex = 0
        writerIndex = 0
    }

    /// Makes room for at least `count` more bytes at the end: first by sliding unread bytes to the
    /// front, then by growing (doubling) the allocation.
    public func reserve(_ count: Int) {
        if spareCount >= count { return }
        if readerIndex > 0 {
            let unread = readableCount
            if unread > 0 { (storage).copyMemory(from: storage + readerIndex, byteCount: unread) }
            readerIndex = 0
            writerIndex = unread
            if spareCount >= count { return }
        }
        var newCapacity = capacity
        while newCapacity - writerIndex < count { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newStorage.copyMemory(from: storage, byteCount: writerIndex)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    /// Shrinks an empty buffer that grew past `limit` back to `limit` bytes, so one large request
    /// does not pin memory on an idle connection.
    public func shrinkIfEmpty(to limit: Int) {
        guard isEmpty, capacity > limit else { return }
        storage.deallocate()
        storage = UnsafeMutableRawPointer.allocate(byteCount: limit, alignment: 16)
        capacity = limit
    }

    /// Lets `body` fill up to `spareCount` bytes at the end; it returns how many it wrote.
    public func writeWithUnsafeMutableBytes(_ body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        let written = body(UnsafeMutableRawBufferPointer(start: storage + writerIndex, count: capacity - writerIndex))
        precondition(written <= capacity - writerIndex)
        if written > 0 { writerIndex += written }
        return written
    }

    @inline(__always)
    public func writeByte(_ byte: UInt8) {
        if writerIndex == capacity { reserve(1) }
        storage.storeBytes(of: byte, toByteOffset: writerIndex, as: UInt8.self)
        writerIndex += 1
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        (storage + writerIndex).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        writerIndex += bytes.count
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    public func write(_ string: StaticString) {
        write(UnsafeRawBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    public func write(_ string: String) {
        var copy = string
        copy.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes a non-negative integer in decimal.
    public func writeDecimal(_ value: Int) {
        precondition(value >= 0)
        reserve(20)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no allocation
        var remaining = UInt64(value)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[23 - count] = UInt8(truncatingIfNeeded: 48 + remaining % 10)
                remaining /= 10
                count += 1
            } while remaining > 0
            (storage + writerIndex).copyMemory(from: scratch.baseAddress! + 24 - count, byteCount: count)
        }
        writerIndex += count
    }
}
