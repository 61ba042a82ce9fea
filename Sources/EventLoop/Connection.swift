import Bytes

/// Identifies one connection on one loop for one lifetime: a completion posted with a token whose
/// generation no longer matches (the connection closed, the slot was reused) is dropped.
public struct ConnectionToken: Hashable, Sendable {
    public let loopIndex: Int
    public let slot: UInt32
    public let generation: UInt32
}

/// What a connection's protocol layer does when its loop reports something.
///
/// Every call happens on the connection's loop thread. After each call the loop flushes the
/// connection's `output`, so a handler only appends bytes.
public protocol ConnectionHandler: AnyObject {
    /// New bytes were appended to `connection.input`, or the peer finished sending (`peerClosed`).
    func connectionDidRead(_ connection: Connection)
    /// A value posted with this connection's token arrived from another thread.
    func connectionDidComplete(_ connection: Connection, value: any Sendable)
    /// Output that could not be written at once has now been written completely.
    func connectionDidDrain(_ connection: Connection)
    /// The deadline set with `setDeadline` passed.
    func connectionDeadlinePassed(_ connection: Connection)
    /// The connection is gone; called exactly once.
    func connectionDidClose(_ connection: Connection)
    /// True when no request is in progress, so a draining server may close it.
    var isIdle: Bool { get }
    /// The server began draining: a protocol that can say goodbye (HTTP/2 GOAWAY) says it now.
    func connectionWillDrain(_ connection: Connection)
}

extension ConnectionHandler {
    public func connectionWillDrain(_ connection: Connection) {}
}

/// One accepted socket, confined to the loop that accepted it.
public final class Connection {
    public let fd: Int32
    /// The loop outlives every connection it owns, so no reference count is kept.
    public unowned(unsafe) let loop: EventLoop
    public let slot: UInt32
    public let generation: UInt32
    /// Bytes received and not yet consumed by the handler.
    public let input: ByteBuffer
    /// Bytes to send; the loop flushes after every handler call.
    public let output: ByteBuffer
    /// Set once the peer has shut down its sending side (read returned 0).
    public internal(set) var peerClosed = false
    /// When set, the loop closes the connection as soon as `output` is empty: it ends its sending
    /// side and lingers, discarding input, until the peer closes too or the linger ends.
    public var closeAfterFlush = false
    /// Bytes the loop still discards before it closes a lingering connection; nil when not lingering.
    var lingerBytesLeft: Int?
    public internal(set) var isClosed = false

    var handler: ConnectionHandler?
    var readingPaused = false
    /// Whether the loop has stopped reading this socket (back-pressure or end of input).
    public var isReadingPaused: Bool { readingPaused }
    var writeArmed = false
    /// Monotonic ms after which `connectionDeadlinePassed` fires; 0 = none.
    var deadlineMilliseconds: Int64 = 0
    /// The earliest deadline an entry in the loop's wheel was queued for; 0 = none queued.
    var queuedDeadlineMilliseconds: Int64 = 0

    init(fd: Int32, loop: EventLoop, slot: UInt32, generation: UInt32, bufferBytes: Int) {
        self.fd = fd
        self.loop = loop
        self.slot = slot
        self.generation = generation
        self.input = ByteBuffer(capacity: bufferBytes)
        self.output = ByteBuffer(capacity: bufferBytes)
    }

    /// The peer's IP address bytes (see `Socket.peerAddress`), read on first use.
    public var peerAddress: [UInt8] {
        if let cachedPeerAddress { return cachedPeerAddress }
        let address = Socket.peerAddress(fd)
        cachedPeerAddress = address
        return address
    }
    private var cachedPeerAddress: [UInt8]?

    public var token: ConnectionToken {
        ConnectionToken(loopIndex: loop.index, slot: slot, generation: generation)
    }

    /// Stops reading from the socket (back-pressure) until `resumeReading`.
    public func pauseReading() { loop.setReading(self, paused: true) }
    public func resumeReading() { loop.setReading(self, paused: false) }

    /// Arms a deadline `milliseconds` from now (replacing any earlier one).
    public func setDeadline(inMilliseconds milliseconds: Int64) { loop.setDeadline(self, inMilliseconds: milliseconds) }

    /// Closes at once, dropping unsent output.
    public func close() { loop.close(self) }

    /// Caps what the kernel buffers for this connection's sending side, for a long-lived response
    /// whose own bound should not be hidden behind megabytes of socket buffer.
    public func limitKernelSendBuffer(bytes: Int) { Socket.setSendBufferBytes(fd, bytes) }

    /// Sends what `output` holds now, as the loop does after every handler call, for output written
    /// outside one (a stream fed from the loop's before-sleep hook); closes when asked to.
    public func flush() { loop.afterHandler(self) }
}
