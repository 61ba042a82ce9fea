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
struct ClosedStreams: Sendable {
    private let capacity: Int
    private var closures: [UInt32: StreamClosure] = [:]
    /// Ids in the order they closed, a ring once full.
    private var order: [UInt32] = []
    private var oldest = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(id: UInt32) -> StreamClosure? { closures[id] }

    mutating func remember(_ id: UInt32, _ closure: StreamClosure) {
        guard capacity > 0 else { return }
        if closures.updateValue(closure, forKey: id) != nil { return }
        if order.count < capacity {
            order.append(id)
        } else {
            closures.removeValue(forKey: order[oldest])
            order[oldest] = id
            oldest = (oldest + 1) % capacity
        }
    }
}
