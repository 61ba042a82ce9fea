/// What one HTTP/2 server connection advertises and enforces, and the limits that keep a hostile
/// peer bounded in memory and CPU. Checked against each other when a connection starts.
public struct HTTP2Configuration: Sendable, Equatable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS we advertise and enforce: a stream beyond it is refused
    /// with RST_STREAM REFUSED_STREAM (RFC 9113 §5.1.2).
    public var maxConcurrentStreams = 128
    /// Our receive window per stream, SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 §6.9.2).
    public var initialWindowSize = 65_535
    /// Our receive window for the whole connection; raised from the protocol's 65,535 with a
    /// WINDOW_UPDATE on stream 0 right after our SETTINGS (RFC 9113 §6.9.2 leaves no setting for it).
    public var connectionWindowSize = 1 << 20
    /// SETTINGS_MAX_FRAME_SIZE we advertise and enforce: a larger frame is a connection
    /// FRAME_SIZE_ERROR, refused from its header before its payload is buffered.
    public var maxFrameSize = 16_384
    /// SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce (RFC 9113 §6.5.2: name and value
    /// octets plus 32 per field). A block over it is still decoded, to keep HPACK in step, and its
    /// stream is reset with ENHANCE_YOUR_CALM; a block whose encoded octets exceed this plus
    /// `maxFrameSize` is not buffered at all: GOAWAY ENHANCE_YOUR_CALM.
    public var maxHeaderListSize = 16_384
    /// SETTINGS_HEADER_TABLE_SIZE: the most octets our HPACK decoder keeps for the peer.
    public var headerTableSize = 4_096

    // MARK: Flood limits

    /// Frames we queue in answer to the peer (SETTINGS ACK, PING ACK, RST_STREAM for its stream
    /// errors) that have not been drained yet. A peer that sends them faster than it reads makes
    /// them pile up (RFC 9113 §10.5; the "ping flood" and "settings flood" of CVE-2019-9512 and
    /// CVE-2019-9515): past this, GOAWAY ENHANCE_YOUR_CALM.
    public var maxQueuedControlFrames = 1_000
    /// Streams reset within `resetWindowNanoseconds`, by the peer's RST_STREAM or by us for its
    /// stream errors and refused streams. Each reset stream may have cost a request's work, so a
    /// loop of HEADERS and RST_STREAM ("rapid reset", CVE-2023-44487) ends in GOAWAY
    /// ENHANCE_YOUR_CALM past this.
    public var maxResetsPerWindow = 200
    /// The window of `maxResetsPerWindow` and `maxPingsAndSettingsPerWindow`, on the monotonic
    /// clock passed to `receive`.
    public var resetWindowNanoseconds: UInt64 = 10_000_000_000
    /// PING and SETTINGS frames that ask for an answer, within `resetWindowNanoseconds`. The
    /// queue limit above only bites when answers pile up in this connection; a peer whose socket
    /// buffers still take them could otherwise make us answer without end (a PING flood through
    /// deep buffers): past this, GOAWAY ENHANCE_YOUR_CALM.
    public var maxPingsAndSettingsPerWindow = 10_000
    /// CONTINUATION frames after one HEADERS frame. Each can be tiny, so their count is limited
    /// apart from the block's octets (the "CONTINUATION flood" of 2024): past it, GOAWAY
    /// ENHANCE_YOUR_CALM.
    public var maxContinuationFrames = 32
    /// DATA frames without payload and without END_STREAM in a row, that is with no DATA that
    /// carries octets in between; they cost work and move nothing (CVE-2019-9518): past it,
    /// GOAWAY ENHANCE_YOUR_CALM.
    public var maxEmptyDataFrames = 100
    /// Closed streams whose ids are remembered, so that frames a peer sent before it saw our
    /// RST_STREAM are ignored, and a HEADERS on a closed stream is told from a reused id.
    public var maxClosedStreamsRemembered = 128

    public init() {}

    /// Stops the process on a configuration no connection could honour (a programming error).
    func validate() {
        precondition(maxConcurrentStreams >= 0, "maxConcurrentStreams must not be negative")
        precondition(initialWindowSize >= 0 && initialWindowSize <= FrameHeader.maxWindowSize,
                     "initialWindowSize must be in 0...2^31-1 (RFC 9113 §6.5.2)")
        precondition(connectionWindowSize >= 65_535 && connectionWindowSize <= FrameHeader.maxWindowSize,
                     "connectionWindowSize must be in 65,535...2^31-1: a window can only be raised")
        precondition(FrameHeader.maxFrameSizeRange.contains(maxFrameSize),
                     "maxFrameSize must be in 16,384...16,777,215 (RFC 9113 §6.5.2)")
        precondition(maxHeaderListSize >= 0 && maxHeaderListSize <= Int(UInt32.max), "maxHeaderListSize must fit 32 bits")
        precondition(headerTableSize >= 0 && headerTableSize <= Int(UInt32.max), "headerTableSize must fit 32 bits")
        precondition(maxQueuedControlFrames >= 1, "maxQueuedControlFrames must allow the SETTINGS ACK")
        precondition(maxResetsPerWindow >= 0 && resetWindowNanoseconds > 0, "the reset limit needs a window")
        precondition(maxPingsAndSettingsPerWindow >= 1, "the first SETTINGS must be allowed")
        precondition(maxContinuationFrames >= 0 && maxEmptyDataFrames >= 0 && maxClosedStreamsRemembered >= 0)
    }
}
