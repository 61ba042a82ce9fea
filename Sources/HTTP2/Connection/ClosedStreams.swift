/// Why a stream closed, which decides what a late frame on it means.
enum StreamClosure: Sendable {
    /// We sent RST_STREAM (or ended our side early): the peer may not have seen it when it sent
    /// more, so its frames are ignored (RFC 9113 §5.1, "closed").
    case resetByUs
    /// The peer reset it, or both sides ended it: a frame on it is the peer's error, STREAM_CLOSED.
    case closedByPeer
}

/// The most recently closed streams and how they closed, a bounded number of them: a stream
/// forgotten here counts as closed in an unknown way.
///
/// A ring in closing order, without a hash table: every stream passes through `remember`, while
/// lookups come only with frames on streams that are no longer open, which are rare.
struct ClosedStreams: Sendable {
    private let capacity: Int
    private var ids: [UInt32] = []
    private var closures: [StreamClosure] = []
    /// Where the next id goes once the ring is full (the oldest entry).
    private var next = 0

    init(capacity: Int) {
        self.capacity = capacity
        ids.reserveCapacity(capacity)
        closures.reserveCapacity(capacity)
    }

    /// How `id` closed, if it is among the streams remembered (the latest entry wins).
    subscript(id: UInt32) -> StreamClosure? {
        var index = next
        for _ in 0..<ids.count {
            index = index == 0 ? ids.count - 1 : index - 1
            if ids[index] == id { return closures[index] }
        }
        return nil
    }

    mutating func remember(_ id: UInt32, _ closure: StreamClosure) {
        guard capacity > 0 else { return }
        if ids.count < capacity {
            ids.append(id)
            closures.append(closure)
            next = ids.count % capacity
        } else {
            ids[next] = id
            closures[next] = closure
            next = (next + 1) % capacity
        }
    }
}
