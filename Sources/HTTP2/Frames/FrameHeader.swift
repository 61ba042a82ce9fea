import Bytes

/// Frame types of RFC 9113 §6.
enum FrameType: UInt8, Sendable {
    case data = 0x0
    case headers = 0x1
    case priority = 0x2
    case rstStream = 0x3
    case settings = 0x4
    case pushPromise = 0x5
    case ping = 0x6
    case goAway = 0x7
    case windowUpdate = 0x8
    case continuation = 0x9
}

/// Frame flags (RFC 9113 §6); one bit can mean different things in different frame types.
enum FrameFlags {
    /// DATA, HEADERS: the last frame the sender sends on the stream.
    static let endStream: UInt8 = 0x01
    /// SETTINGS, PING: an acknowledgement.
    static let ack: UInt8 = 0x01
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the header block ends with this frame.
    static let endHeaders: UInt8 = 0x04
    /// DATA, HEADERS, PUSH_PROMISE: a pad length byte and padding are present.
    static let padded: UInt8 = 0x08
    /// HEADERS: exclusive flag, stream dependency and weight are present.
    static let priority: UInt8 = 0x20
}

/// The 9-octet header that starts every frame (RFC 9113 §4.1).
struct FrameHeader: Sendable, Equatable {
    static let size = 9
    /// RFC 9113 §4.2: SETTINGS_MAX_FRAME_SIZE is at least 2^14 and below 2^24.
    static let maxFrameSizeRange = 16_384...16_777_215
    /// RFC 9113 §6.9.1: flow-control windows are at most 2^31 - 1.
    static let maxWindowSize = Int(Int32.max)

    var length: Int
    var type: UInt8
    var flags: UInt8
    /// The reserved bit is dropped (RFC 9113 §4.1: ignored on receipt).
    var streamID: UInt32

    init(length: Int, type: UInt8, flags: UInt8, streamID: UInt32) {
        self.length = length
        self.type = type
        self.flags = flags
        self.streamID = streamID
    }

    init(length: Int, type: FrameType, flags: UInt8, streamID: UInt32) {
        self.init(length: length, type: type.rawValue, flags: flags, streamID: streamID)
    }

    /// Reads a header from the 9 octets at `offset`.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
        type = bytes[offset + 3]
        flags = bytes[offset + 4]
        streamID = readUInt32(bytes, at: offset + 5) & 0x7FFF_FFFF
    }

    func has(_ flag: UInt8) -> Bool { flags & flag != 0 }

    /// Stores the nine octets at the start of `out`, which has room for them.
    private func store(into out: UnsafeMutableRawBufferPointer) {
        precondition(length >= 0 && length < 1 << 24 && streamID <= 0x7FFF_FFFF && out.count >= Self.size)
        out[0] = UInt8(truncatingIfNeeded: length >> 16)
        out[1] = UInt8(truncatingIfNeeded: length >> 8)
        out[2] = UInt8(truncatingIfNeeded: length)
        out[3] = type
        out[4] = flags
        out[5] = UInt8(truncatingIfNeeded: streamID >> 24)
        out[6] = UInt8(truncatingIfNeeded: streamID >> 16)
        out[7] = UInt8(truncatingIfNeeded: streamID >> 8)
        out[8] = UInt8(truncatingIfNeeded: streamID)
    }

    /// Replaces the nine octets at `offset` (room left for a header whose length was not yet known).
    func overwrite(_ output: inout [UInt8], at offset: Int) {
        output.withUnsafeMutableBytes { store(into: UnsafeMutableRawBufferPointer(rebasing: $0[offset..<(offset + Self.size)])) }
    }

    /// Writes the nine octets straight into a socket buffer.
    func write(into buffer: ByteBuffer) {
        buffer.reserve(Self.size)
        _ = buffer.writeWithUnsafeMutableBytes { out in
            store(into: out)
            return Self.size
        }
    }

    func write(into output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: Self.size))
        overwrite(&output, at: start)
    }
}

@inline(__always)
func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

@inline(__always)
func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
    output.append(UInt8(truncatingIfNeeded: value >> 24))
    output.append(UInt8(truncatingIfNeeded: value >> 16))
    output.append(UInt8(truncatingIfNeeded: value >> 8))
    output.append(UInt8(truncatingIfNeeded: value))
}
