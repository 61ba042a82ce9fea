/// Cuts a byte stream into frames, however it is split (RFC 9113 §4).
///
/// Frames that arrive whole are decoded straight from the input; only a frame split across calls
/// is copied, into a buffer that never holds more than one frame of at most `maxFrameSize` octets,
/// because a frame announcing more is refused from its header alone.
struct FrameReader: Sendable {
    /// Our SETTINGS_MAX_FRAME_SIZE: the largest payload accepted.
    var maxFrameSize: Int
    /// The start of a frame that did not arrive whole.
    private var partial: [UInt8] = []

    /// Capacity kept between split frames; beyond it the buffer is released after use, so a
    /// connection does not hold a large frame's worth of memory while idle.
    private static let retainedCapacityMax = 32 * 1024

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Octets of an incomplete frame held between calls.
    var bufferedCount: Int { partial.count }

    /// Returns the next frame from `input[offset...]` and moves `offset` past what it used, or nil
    /// once all of the input is used without completing a frame (the rest is kept for next time).
    mutating func next(_ input: UnsafeRawBufferPointer, offset: inout Int) throws(FrameError) -> Frame? {
        if partial.isEmpty {
            let available = input.count - offset
            if available >= FrameHeader.size {
                let header = FrameHeader(input, at: offset)
                try check(header)
                let end = offset + FrameHeader.size + header.length
                if end <= input.count {
                    let payload = UnsafeRawBufferPointer(rebasing: input[(offset + FrameHeader.size)..<end])
                    offset = end
                    return try Frame.parse(header, payload: payload)
                }
            }
            if available > 0 { partial.append(contentsOf: input[offset...]) }
            offset = input.count
            return nil
        }

        if partial.count < FrameHeader.size {
            let take = min(FrameHeader.size - partial.count, input.count - offset)
            partial.append(contentsOf: input[offset..<(offset + take)])
            offset += take
            if partial.count < FrameHeader.size { return nil }
            try check(partial.withUnsafeBytes { FrameHeader($0, at: 0) })
        }
        let header = partial.withUnsafeBytes { FrameHeader($0, at: 0) }
        let take = min(FrameHeader.size + header.length - partial.count, input.count - offset)
        partial.append(contentsOf: input[offset..<(offset + take)])
        offset += take
        if partial.count < FrameHeader.size + header.length { return nil }
        let result = partial.withUnsafeBytes { bytes -> Result<Frame, FrameError> in
            Result { () throws(FrameError) -> Frame in
                try Frame.parse(header, payload: UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size...]))
            }
        }
        if partial.capacity > Self.retainedCapacityMax {
            partial = []
        } else {
            partial.removeAll(keepingCapacity: true)
        }
        return try result.get()
    }

    /// RFC 9113 §4.2: a frame larger than our SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR; as a
    /// connection error always, so that its payload never has to be read.
    private func check(_ header: FrameHeader) throws(FrameError) {
        if header.length > maxFrameSize {
            throw .connection(.frameSizeError, "frame of \(header.length) octets exceeds SETTINGS_MAX_FRAME_SIZE \(maxFrameSize)")
        }
    }
}
