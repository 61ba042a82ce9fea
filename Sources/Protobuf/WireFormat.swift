import JSON

/// The six wire types of the protobuf binary encoding ("Message Structure" in the encoding spec).
public enum ProtoWireType: UInt8, Sendable, CustomStringConvertible {
    /// int32, int64, uint32, uint64, sint32, sint64, bool, enum.
    case varint = 0
    /// fixed64, sfixed64, double.
    case i64 = 1
    /// Length-delimited: string, bytes, embedded messages, packed repeated fields.
    case len = 2
    /// Group start (deprecated; rejected by this codec).
    case sgroup = 3
    /// Group end (deprecated; rejected by this codec).
    case egroup = 4
    /// fixed32, sfixed32, float.
    case i32 = 5

    public var description: String {
        switch self {
        case .varint: return "VARINT"
        case .i64: return "I64"
        case .len: return "LEN"
        case .sgroup: return "SGROUP"
        case .egroup: return "EGROUP"
        case .i32: return "I32"
        }
    }
}

/// The largest field number the encoding allows (2^29 - 1: a tag is a 32-bit varint with 3 bits of wire type).
public let protoFieldNumberMax: Int32 = 536_870_911

/// Reads the protobuf binary encoding from a borrowed buffer, within limits.
///
/// A reader never outlives the buffer it was made from; messages make one per decode.
/// Nested messages narrow `end` in place instead of making a new reader, so decoding
/// allocates nothing but the decoded values.
public struct ProtoReader {
    private let base: UnsafePointer<UInt8>?
    /// The next byte to read.
    public private(set) var offset: Int
    /// One past the last byte of the message being read.
    private var end: Int
    /// How many embedded messages enclose the current position.
    private(set) var depth: Int
    let limits: ProtoLimits

    /// Creates a reader over all of `buffer`.
    public init(_ buffer: UnsafeRawBufferPointer, limits: ProtoLimits = .default) {
        base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        offset = 0
        end = buffer.count
        depth = 0
        self.limits = limits
    }

    /// Whether the current message has no bytes left.
    public var isAtEnd: Bool { offset >= end }

    /// Reads a base-128 varint: 7 bits per byte, least significant group first, high bit set on all
    /// bytes but the last. At most 10 bytes; the 10th may only carry bit 63.
    public mutating func readVarint() throws(ProtoError) -> UInt64 {
        guard let base else { throw ProtoError(.truncated) }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw ProtoError(.truncated) }
            let byte = base[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw ProtoError(.malformedVarint) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// Reads a field's tag: `(field_number << 3) | wire_type`, as a varint.
    public mutating func readTag() throws(ProtoError) -> (number: Int32, wireType: ProtoWireType) {
        let tag = try readVarint()
        let number = tag >> 3
        guard number >= 1 && number <= UInt64(protoFieldNumberMax) else { throw ProtoError(.invalidFieldNumber(number)) }
        let rawType = UInt8(tag & 7)
        guard let wireType = ProtoWireType(rawValue: rawType) else { throw ProtoError(.invalidWireType(rawType)) }
        if wireType == .sgroup || wireType == .egroup { throw ProtoError(.groupNotSupported) }
        return (Int32(number), wireType)
    }

    /// Steps over `count` bytes that must be there (an I32 or I64 value no message here declares).
    private mutating func skip(_ count: Int) throws(ProtoError) {
        guard end - offset >= count else { throw ProtoError(.truncated) }
        offset += count
    }

    /// Reads a LEN field's length and checks that the bytes are there.
    private mutating func readLength() throws(ProtoError) -> Int {
        let length = try readVarint()
        guard length <= UInt64(end - offset) else { throw ProtoError(.truncated) }
        return Int(length)
    }

    /// Reads a LEN field's payload; the buffer borrows the input.
    public mutating func readLengthDelimited() throws(ProtoError) -> UnsafeBufferPointer<UInt8> {
        let length = try readLength()
        let bytes = UnsafeBufferPointer(start: base.map { $0 + offset }, count: length)
        offset += length
        return bytes
    }

    /// Reads a LEN field as a string, which must be valid UTF-8 (proto3 `string`).
    public mutating func readString() throws(ProtoError) -> String {
        let bytes = try readLengthDelimited()
        if bytes.isEmpty { return "" }
        // Checked here rather than with String(validating:), whose generic path costs more than
        // the rest of decoding a short string; valid input then decodes without repairs.
        guard UTF8Validation.isWellFormed(bytes) else { throw ProtoError(.invalidUTF8) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Skips one value of a field this reader's caller does not know.
    public mutating func skipField(_ wireType: ProtoWireType) throws(ProtoError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .i64: try skip(8)
        case .len: offset += try readLength()
        case .i32: try skip(4)
        case .sgroup, .egroup: throw ProtoError(.groupNotSupported)
        }
    }

    /// Starts reading an embedded message (or a packed run): reads its length and narrows the
    /// reader to it. Returns what `endNested` needs to widen it again.
    mutating func beginNested() throws(ProtoError) -> Int {
        let length = try readLength()
        guard depth < limits.nestingDepthMax else { throw ProtoError(.depthLimitExceeded(limits.nestingDepthMax)) }
        let outerEnd = end
        end = offset + length
        depth += 1
        return outerEnd
    }

    /// Finishes an embedded message whose bytes have all been read.
    mutating func endNested(_ outerEnd: Int) {
        precondition(offset == end, "embedded message not read to its end")
        depth -= 1
        end = outerEnd
    }

    /// Starts reading a packed run of scalars; unlike `beginNested` this is not a nesting level.
    mutating func beginPacked() throws(ProtoError) -> Int {
        let length = try readLength()
        let outerEnd = end
        end = offset + length
        return outerEnd
    }

    /// Finishes a packed run whose values have all been read.
    mutating func endPacked(_ outerEnd: Int) {
        precondition(offset == end, "packed run not read to its end")
        end = outerEnd
    }
}

/// Builds the protobuf binary encoding into a growing byte array.
public struct ProtoWriter: Sendable {
    /// The encoding written so far.
    public private(set) var bytes: [UInt8]

    /// Creates a writer whose buffer has room for `capacity` bytes before growing.
    public init(reservingCapacity capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes a base-128 varint (a negative int32 arrives here sign-extended and takes 10 bytes).
    public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Writes a field's tag.
    public mutating func writeTag(_ number: Int32, _ wireType: ProtoWireType) {
        writeVarint(UInt64(UInt32(number)) << 3 | UInt64(wireType.rawValue))
    }

    /// Writes a length and then the bytes.
    public mutating func writeLengthDelimited(_ payload: [UInt8]) {
        writeVarint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    /// Writes a string's length and UTF-8 bytes.
    public mutating func writeString(_ string: String) {
        let utf8 = string.utf8
        writeVarint(UInt64(utf8.count))
        let copied: Void? = utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if copied == nil { bytes.append(contentsOf: utf8) }
    }

    /// Starts a length-delimited value whose length is not known yet; returns its start for `endNested`.
    ///
    /// One byte is set aside for the length, which covers payloads under 128 bytes; a longer
    /// payload is moved up once by the few extra bytes its length needs.
    mutating func beginNested() -> Int {
        bytes.append(0)
        return bytes.count - 1
    }

    /// Finishes the value started at `start` by writing its length there.
    mutating func endNested(_ start: Int) {
        let length = bytes.count - start - 1
        if length < 0x80 {
            bytes[start] = UInt8(length)
            return
        }
        // The length needs more than the one byte kept for it: open up room, then fill it in.
        var lengthBytes = 1
        while length >> (7 * lengthBytes) != 0 { lengthBytes += 1 }
        bytes.insert(contentsOf: repeatElement(0, count: lengthBytes - 1), at: start + 1)
        var remaining = length
        for index in start..<(start + lengthBytes) {
            bytes[index] = UInt8(truncatingIfNeeded: remaining) | (remaining >= 0x80 ? 0x80 : 0)
            remaining >>= 7
        }
    }
}
