/// Where decoded bytes go: a `[UInt8]` that grows geometrically up to a hard limit.
///
/// The array starts from a guess based on the input's size and doubles when the decoder runs out
/// of room, but never grows past the limit (it holds one byte when the limit is 0, so that it
/// always has an address). Nothing the input says, such as a gzip ISIZE, decides how much is
/// reserved, since the input may lie.
struct OutputBuffer {
    /// Decoded bytes are `bytes[0..<count]`; the rest is room to write into.
    var bytes: [UInt8]
    var count = 0
    let limit: Int

    init(limit: Int, inputCount: Int) {
        precondition(limit >= 0, "maxOutputBytes must not be negative")
        self.limit = limit
        // Typical JSON or protobuf bodies compress 3–10 times; a guess that is too small costs a
        // few doublings.
        let (guess, overflow) = inputCount.multipliedReportingOverflow(by: 4)
        bytes = OutputBuffer.room(max(1, min(limit, overflow ? limit : max(guess, 1024)))) { _ in }
    }

    /// Doubles the room, up to the limit.
    /// - Throws: `.outputTooLarge` when the room already is the limit.
    mutating func grow() throws(InflateError) {
        guard bytes.count < limit else { throw .outputTooLarge }
        let newCount = bytes.count > limit / 2 ? limit : min(limit, max(bytes.count * 2, 1024))
        let decodedCount = count
        bytes = bytes.withUnsafeBytes { decoded in
            OutputBuffer.room(newCount) { $0.copyMemory(from: decoded.baseAddress!, byteCount: decodedCount) }
        }
    }

    /// An array of `count` bytes of which only those `initialize` writes are set.
    ///
    /// The rest is left as the allocator returned it rather than zeroed: the decoder writes every
    /// byte before anything reads it (a back-reference reaches only bytes already decoded, and
    /// `finish` cuts off the unused room), and zeroing would touch every page of room that a
    /// stream may never fill.
    private static func room(_ count: Int, initialize: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            initialize(UnsafeMutableRawPointer(buffer.baseAddress!))
            initializedCount = count
        }
    }

    /// The decoded bytes, with the unused room cut off.
    mutating func finish() -> [UInt8] {
        var decoded: [UInt8] = []
        swap(&decoded, &bytes)  // so that the array is not shared and shrinks in place
        decoded.removeLast(decoded.count - count)
        return decoded
    }
}
