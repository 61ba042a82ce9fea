import Bytes

/// The server side of one HTTP/2 connection (RFC 9113), without I/O: bytes in, events out; calls
/// in, bytes out.
///
/// The caller owns one per TCP connection and uses it from one thread: it hands every received
/// byte to `receive`, answers the events with `sendHeaders`/`sendData`, and writes what
/// `drainOutput` produces. Protocol errors are handled inside: a stream error queues RST_STREAM; a
/// connection error queues GOAWAY and sets `isClosed`, after which nothing more is reported and
/// the caller closes the socket once the output is written.
///
/// Memory stays bounded whatever the peer sends: at most one partial frame and one header block
/// are buffered, streams are capped, and answers the peer makes us queue are counted. Response
/// bodies are the caller's: `sendData` keeps what it is given until the peer's windows let it go.
/// The flood limit on queued answers works when `drainOutput` runs only as the socket takes the
/// bytes: a caller that drains into an ever-growing buffer must bound that buffer itself.
public struct HTTP2ServerConnection: Sendable {
    /// RFC 9113 §3.4: what a client sends first, before its SETTINGS frame.
    static let clientPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// RFC 9113 §6.9.2: every window starts at 65,535 until SETTINGS or WINDOW_UPDATE say more.
    static let defaultWindowSize = 65_535
    /// Kept capacity of the output queue between drains; beyond it the queue is released.
    private static let retainedOutputCapacityMax = 64 * 1024

    /// One open stream (RFC 9113 §5.1 "open", "half-closed"); closed streams are dropped at once.
    struct Stream {
        /// The peer's window for our DATA; negative after SETTINGS_INITIAL_WINDOW_SIZE shrank.
        var sendWindow: Int
        /// Our window for the peer's DATA, as the peer sees it: credit not yet sent is not in it.
        var receiveWindow: Int
        /// Octets received whose WINDOW_UPDATE goes out with the next drain.
        var pendingCredit = 0
        /// The peer sent END_STREAM ("half-closed (remote)").
        var remoteEnded: Bool
        var contentLength: Int?
        var receivedDataOctets = 0

        /// Our HEADERS went out.
        var headersSent = false
        /// The caller has sent the last of the response (END_STREAM is queued or written).
        var localEndQueued = false
        /// Response octets not yet written, in the caller's chunks.
        var pendingChunks: [[UInt8]] = []
        var chunkOffset = 0
        var pendingOctets = 0
        /// Trailers that wait for the data before them.
        var pendingTrailers: [HeaderField]?
    }

    public let configuration: HTTP2Configuration

    private var reader: FrameReader
    private var decoder: HPACKDecoder
    private var encoder: HPACKEncoder
    /// Frames ready to write, in order.
    private var output: [UInt8] = []
    /// Frames in `output` that answer the peer (ACKs, RST_STREAM for its errors).
    private var queuedControlFrames = 0
    private var events: [HTTP2Event] = []

    private var prefaceMatched = 0
    private var receivedFirstSettings = false
    private var ourSettingsAcknowledged = false

    private var peerInitialWindowSize = HTTP2ServerConnection.defaultWindowSize
    private var peerMaxFrameSize = 16_384

    private var connectionSendWindow = HTTP2ServerConnection.defaultWindowSize
    private var connectionReceiveWindow: Int
    private var connectionPendingCredit = 0

    private var streams: [UInt32: Stream] = [:]
    /// Streams with response octets, END_STREAM or trailers to write, in round-robin order.
    private var sendQueue: [UInt32] = []
    /// Storage for the next send queue while `writeScheduledData` builds it.
    private var spareSendQueue: [UInt32] = []
    /// Streams with credit to return, in the order it arose.
    private var creditedStreams: [UInt32] = []
    /// The highest stream id the peer has used; every lower odd id is open or closed.
    private var highestStreamID: UInt32 = 0
    /// The highest stream whose request we handed to the caller (GOAWAY's last stream id).
    private var lastProcessedStreamID: UInt32 = 0
    private var closedStreams: ClosedStreams

    // The header block being received: HEADERS without END_HEADERS, then CONTINUATION frames.
    private var headerBlock: [UInt8] = []
    private var headerBlockStreamID: UInt32 = 0
    private var headerBlockEndStream = false
    private var headerBlockSelfDependent = false
    private var continuationFrames = 0

    /// Our graceful GOAWAY went out, naming `lastProcessedStreamID` (which then stays put);
    /// streams above it are ignored.
    private var goAwaySent = false
    private var peerWentAway = false

    /// A GOAWAY for an error is queued: drain the output, then close the connection.
    public private(set) var isClosed = false

    private var nowNanoseconds: UInt64 = 0
    private var resets = RateWindow()
    private var pingsAndSettings = RateWindow()
    private var emptyDataFramesInARow = 0

    /// Starts a connection and queues the server preface: our SETTINGS, then a WINDOW_UPDATE that
    /// raises the connection window to `connectionWindowSize`.
    public init(configuration: HTTP2Configuration = HTTP2Configuration()) {
        configuration.validate()
        self.configuration = configuration
        reader = FrameReader(maxFrameSize: configuration.maxFrameSize)
        // Until the peer acknowledges our SETTINGS its encoder may use the default 4,096 octets.
        decoder = HPACKDecoder(maxTableSize: 4_096)
        decoder.setMaxTableSizeAllowed(max(configuration.headerTableSize, 4_096))
        // Response fields are few and short: Huffman coding would save a handful of octets per
        // response for more CPU than the octets cost to send.
        encoder = HPACKEncoder(maxTableSize: 4_096, huffman: .never, indexing: false)
        // Responses never index, so the encoder's table is announced as empty in its first block:
        // whatever SETTINGS_HEADER_TABLE_SIZE the peer sends later is then satisfied already.
        encoder.setMaxTableSize(0)
        connectionReceiveWindow = configuration.connectionWindowSize
        closedStreams = ClosedStreams(capacity: configuration.maxClosedStreamsRemembered)

        // Every value is sent, defaults included, so the peer never has to assume one.
        Frame.settings(ack: false, [
            Setting(identifier: Setting.headerTableSize, value: UInt32(configuration.headerTableSize)),
            Setting(identifier: Setting.maxConcurrentStreams, value: UInt32(configuration.maxConcurrentStreams)),
            Setting(identifier: Setting.initialWindowSize, value: UInt32(configuration.initialWindowSize)),
            Setting(identifier: Setting.maxFrameSize, value: UInt32(configuration.maxFrameSize)),
            Setting(identifier: Setting.maxHeaderListSize, value: UInt32(configuration.maxHeaderListSize)),
        ]).write(into: &output)
        let raise = configuration.connectionWindowSize - Self.defaultWindowSize
        if raise > 0 { Frame.windowUpdate(streamID: 0, increment: UInt32(raise)).write(into: &output) }
    }

    // MARK: - State

    /// Streams open or half-closed, which count against `maxConcurrentStreams`.
    public var openStreamCount: Int { streams.count }

    /// True while there is anything to write: queued frames, credit to return, or response data,
    /// including data that waits for the peer's window.
    public var hasPendingOutput: Bool {
        !output.isEmpty || connectionPendingCredit > 0 || !creditedStreams.isEmpty || !sendQueue.isEmpty
    }

    /// True when `drainOutput` would write something now (data blocked by flow control does not
    /// count): the moment to ask for writability.
    public var hasWritableOutput: Bool {
        if !output.isEmpty || connectionPendingCredit > 0 || !creditedStreams.isEmpty { return true }
        return sendQueue.contains { id in
            guard let stream = streams[id] else { return false }
            return stream.pendingOctets == 0 || (stream.sendWindow > 0 && connectionSendWindow > 0)
        }
    }

    /// True once nothing is left to do: after a connection error, or after a GOAWAY either way
    /// once every stream is finished, and with all output drained. Close the socket then.
    public var canClose: Bool {
        (isClosed || ((goAwaySent || peerWentAway) && streams.isEmpty)) && !hasPendingOutput
    }

    /// Our SETTINGS were acknowledged by the peer (RFC 9113 §6.5.3). A caller may close a
    /// connection whose peer stays silent too long (SETTINGS_TIMEOUT).
    public var isSettingsAcknowledged: Bool { ourSettingsAcknowledged }

    // MARK: - Receiving

    /// Consumes received bytes, however they are split (a byte at a time works), and returns what
    /// happened. All of `bytes` is used: an incomplete frame is kept for the next call.
    ///
    /// `nowNanoseconds` is the caller's monotonic clock, for the reset-rate limit; nil means no
    /// time has passed since the last call (a caller that never passes it gets a limit per
    /// connection lifetime rather than per window).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, nowNanoseconds: UInt64? = nil) -> [HTTP2Event] {
        var events: [HTTP2Event] = []
        receive(bytes, nowNanoseconds: nowNanoseconds, into: &events)
        return events
    }

    /// `receive`, appending the events to `events`: a caller that empties and reuses one array
    /// saves an allocation per read.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, nowNanoseconds: UInt64? = nil, into events: inout [HTTP2Event]) {
        swap(&self.events, &events)
        defer { swap(&self.events, &events) }
        receiveFrames(bytes, nowNanoseconds: nowNanoseconds)
    }

    private mutating func receiveFrames(_ bytes: UnsafeRawBufferPointer, nowNanoseconds: UInt64?) {
        guard !isClosed else { return }
        if let nowNanoseconds, nowNanoseconds > self.nowNanoseconds { self.nowNanoseconds = nowNanoseconds }
        var offset = 0
        while prefaceMatched < Self.clientPreface.count, offset < bytes.count {
            guard bytes[offset] == Self.clientPreface[prefaceMatched] else {
                connectionError(.protocolError, "not an HTTP/2 connection preface")
                return
            }
            prefaceMatched += 1
            offset += 1
        }
        while !isClosed, offset < bytes.count {
            let frame: Frame?
            do {
                frame = try reader.next(bytes, offset: &offset)
            } catch {
                if error.isStreamError {
                    streamError(error.streamID, error.code, error.reason)
                    continue
                }
                connectionError(error.code, error.reason)
                break
            }
            guard let frame else { break }
            process(frame)
        }
    }

    /// `receive` for bytes in an array.
    public mutating func receive(_ bytes: [UInt8], nowNanoseconds: UInt64? = nil) -> [HTTP2Event] {
        bytes.withUnsafeBytes { receive($0, nowNanoseconds: nowNanoseconds) }
    }


    private mutating func process(_ frame: Frame) {
        // RFC 9113 §3.4: the preface ends with a SETTINGS frame.
        if !receivedFirstSettings {
            guard case .settings(ack: false, _) = frame else {
                connectionError(.protocolError, "the client preface must end with SETTINGS")
                return
            }
            receivedFirstSettings = true
        }
        // RFC 9113 §6.2: once a header block starts, only its CONTINUATION frames may follow.
        if headerBlockStreamID != 0 {
            guard case .continuation(let id, _, _) = frame, id == headerBlockStreamID else {
                connectionError(.protocolError, "expected CONTINUATION on stream \(headerBlockStreamID)")
                return
            }
        }
        switch frame {
        case let .data(id, data, endStream, padding):
            // RFC 9113 §6.9.1: the whole payload counts, pad length octet and padding included.
            receiveData(id, data, endStream: endStream, flowLength: data.count + (padding.map { $0 + 1 } ?? 0))
        case let .headers(id, fragment, endStream, endHeaders, priority, _):
            receiveHeaders(id, fragment, endStream: endStream, endHeaders: endHeaders, selfDependent: priority?.dependency == id)
        case let .continuation(id, fragment, endHeaders):
            receiveContinuation(id, fragment, endHeaders: endHeaders)
        case let .priority(id, priority):
            // RFC 9113 §5.3.1: a stream cannot depend on itself. Otherwise priorities are advice
            // that RFC 9113 deprecates, so nothing else is done with them.
            if priority.dependency == id { streamError(id, .protocolError, "stream \(id) depends on itself") }
        case let .rstStream(id, code):
            receiveReset(id, HTTP2ErrorCode(wire: code))
        case let .settings(ack, settings):
            receiveSettings(ack: ack, settings)
        case .pushPromise:
            // RFC 9113 §8.4: only servers push.
            connectionError(.protocolError, "a client sent PUSH_PROMISE")
        case let .ping(ack, opaqueData):
            // RFC 9113 §6.7: answer with the same data; an ACK answers nothing.
            if !ack {
                countPingOrSettings()
                queueControl(.ping(ack: true, opaqueData: opaqueData))
            }
        case let .goAway(lastStreamID, code, _):
            peerWentAway = true
            events.append(.goAway(lastStreamID: lastStreamID, errorCode: HTTP2ErrorCode(wire: code)))
        case let .windowUpdate(id, increment):
            receiveWindowUpdate(id, increment: Int(increment))
        case .unknown:
            // RFC 9113 §5.5: unknown frame types are ignored.
            break
        }
    }

    /// Where a stream that is not open stands (RFC 9113 §5.1).
    private enum StreamStatus {
        /// Never used: above the highest id, or even (we open no streams).
        case idle
        /// Frames on it are dropped: we reset it, or it is above our graceful GOAWAY.
        case ignored
        /// Closed by the peer's RST_STREAM or by both sides' END_STREAM.
        case closed
        /// Below the highest id and not remembered: skipped, or closed too long ago to tell.
        case forgotten
    }

    private func status(ofClosed id: UInt32) -> StreamStatus {
        if id > highestStreamID || id % 2 == 0 { return .idle }
        if goAwaySent, id > lastProcessedStreamID { return .ignored }
        switch closedStreams[id] {
        case .resetByUs: return .ignored
        case .closedByPeer: return .closed
        case nil: return .forgotten
        }
    }

    // MARK: DATA

    private mutating func receiveData(_ id: UInt32, _ data: [UInt8], endStream: Bool, flowLength: Int) {
        // RFC 9113 §6.9: the connection window counts every DATA frame, whatever its stream, and
        // its credit is returned at once: the caller bounds what it keeps of the bytes.
        if flowLength > connectionReceiveWindow {
            connectionError(.flowControlError, "DATA of \(flowLength) octets exceeds the connection window \(connectionReceiveWindow)")
            return
        }
        connectionReceiveWindow -= flowLength
        connectionPendingCredit += flowLength
        if data.isEmpty, !endStream {
            emptyDataFramesInARow += 1
            if emptyDataFramesInARow > configuration.maxEmptyDataFrames {
                connectionError(.enhanceYourCalm, "more than \(configuration.maxEmptyDataFrames) empty DATA frames in a row")
                return
            }
        } else if !data.isEmpty {
            emptyDataFramesInARow = 0
        }

        guard var stream = streams[id] else {
            switch status(ofClosed: id) {
            case .idle: connectionError(.protocolError, "DATA on idle stream \(id)")
            case .ignored: break
            case .closed, .forgotten: connectionError(.streamClosed, "DATA on closed stream \(id)")
            }
            return
        }
        // RFC 9113 §5.1: "half-closed (remote)" takes no more DATA.
        if stream.remoteEnded {
            streamError(id, .streamClosed, "DATA after END_STREAM on stream \(id)")
            return
        }
        if flowLength > stream.receiveWindow {
            streamError(id, .flowControlError, "DATA of \(flowLength) octets exceeds the window \(stream.receiveWindow) of stream \(id)")
            return
        }
        stream.receiveWindow -= flowLength
        stream.receivedDataOctets += data.count
        // RFC 9113 §8.1.1: DATA must add up to content-length, when there is one.
        if let length = stream.contentLength, stream.receivedDataOctets > length || (endStream && stream.receivedDataOctets != length) {
            streamError(id, .protocolError, "DATA does not match content-length \(length) on stream \(id)")
            return
        }
        if endStream {
            stream.remoteEnded = true
        } else if flowLength > 0 {
            if stream.pendingCredit == 0 { creditedStreams.append(id) }
            stream.pendingCredit += flowLength
        }
        streams[id] = stream
        if !data.isEmpty || endStream { appendData(id, data, endStream: endStream) }
    }

    /// Adds a data event, joined to the previous one when it is the same stream's.
    private mutating func appendData(_ id: UInt32, _ data: [UInt8], endStream: Bool) {
        if case .data(let lastID, var joined, false)? = events.last, lastID == id {
            events.removeLast()
            joined.append(contentsOf: data)
            events.append(.data(streamID: id, bytes: joined, endStream: endStream))
        } else {
            events.append(.data(streamID: id, bytes: data, endStream: endStream))
        }
    }

    // MARK: HEADERS and CONTINUATION

    /// The most octets of one encoded header block buffered: a block longer than the header list
    /// limit plus one frame cannot decode to a list within the limit by much, and is not kept.
    private var headerBlockOctetsMax: Int { configuration.maxHeaderListSize + configuration.maxFrameSize }

    private mutating func receiveHeaders(_ id: UInt32, _ fragment: [UInt8], endStream: Bool, endHeaders: Bool, selfDependent: Bool) {
        // RFC 9113 §5.1.1: clients open odd-numbered streams.
        if id % 2 == 0 {
            connectionError(.protocolError, "HEADERS on even stream \(id)")
            return
        }
        if endHeaders {
            finishHeaderBlock(id, fragment, endStream: endStream, selfDependent: selfDependent)
            return
        }
        headerBlock = fragment
        headerBlockStreamID = id
        headerBlockEndStream = endStream
        headerBlockSelfDependent = selfDependent
        continuationFrames = 0
    }

    private mutating func receiveContinuation(_ id: UInt32, _ fragment: [UInt8], endHeaders: Bool) {
        guard headerBlockStreamID != 0 else {
            connectionError(.protocolError, "CONTINUATION without HEADERS on stream \(id)")
            return
        }
        continuationFrames += 1
        if continuationFrames > configuration.maxContinuationFrames {
            connectionError(.enhanceYourCalm, "more than \(configuration.maxContinuationFrames) CONTINUATION frames")
            return
        }
        if headerBlock.count + fragment.count > headerBlockOctetsMax {
            connectionError(.enhanceYourCalm, "header block longer than \(headerBlockOctetsMax) octets")
            return
        }
        headerBlock.append(contentsOf: fragment)
        guard endHeaders else { return }
        let block = headerBlock
        headerBlock = []
        headerBlockStreamID = 0
        finishHeaderBlock(id, block, endStream: headerBlockEndStream, selfDependent: headerBlockSelfDependent)
    }

    /// Decodes a complete header block, always (RFC 9113 §4.3: HPACK state must follow every
    /// block), then decides what it means for its stream.
    private mutating func finishHeaderBlock(_ id: UInt32, _ block: [UInt8], endStream: Bool, selfDependent: Bool) {
        let limit = configuration.maxHeaderListSize
        let result = block.withUnsafeBytes { bytes in
            Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try decoder.decode(bytes, headerListSizeMax: limit) }
        }
        let decoded: HPACKDecoder.DecodedBlock
        switch result {
        case .success(let value): decoded = value
        case .failure(let error):
            connectionError(.compressionError, "HPACK: \(error)")
            return
        }

        if id > highestStreamID {
            openStream(id, decoded, endStream: endStream, selfDependent: selfDependent)
            return
        }
        guard var stream = streams[id] else {
            switch status(ofClosed: id) {
            case .ignored: break
            case .closed: connectionError(.streamClosed, "HEADERS on closed stream \(id)")
            case .idle, .forgotten: connectionError(.protocolError, "HEADERS reuses stream id \(id)")
            }
            return
        }
        // A second block on an open stream is its trailers (RFC 9113 §8.1).
        if stream.remoteEnded {
            streamError(id, .streamClosed, "HEADERS after END_STREAM on stream \(id)")
        } else if selfDependent {
            streamError(id, .protocolError, "stream \(id) depends on itself")
        } else if !endStream {
            streamError(id, .protocolError, "trailers without END_STREAM on stream \(id)")
        } else if decoded.isOverLimit {
            streamError(id, .enhanceYourCalm, "trailers over the header list limit on stream \(id)")
        } else if !RequestValidation.checkTrailers(decoded.fields) {
            streamError(id, .protocolError, "malformed trailers on stream \(id)")
        } else if let length = stream.contentLength, length != stream.receivedDataOctets {
            streamError(id, .protocolError, "DATA does not match content-length \(length) on stream \(id)")
        } else {
            stream.remoteEnded = true
            streams[id] = stream
            events.append(.trailers(streamID: id, fields: decoded.fields))
        }
    }

    private mutating func openStream(_ id: UInt32, _ decoded: HPACKDecoder.DecodedBlock, endStream: Bool, selfDependent: Bool) {
        highestStreamID = id
        // RFC 9113 §6.8: after our GOAWAY, new streams are ignored; the peer retries them elsewhere.
        if goAwaySent, id > lastProcessedStreamID { return }
        if selfDependent {
            resetUnopened(id, .protocolError)
        } else if streams.count >= configuration.maxConcurrentStreams {
            resetUnopened(id, .refusedStream)
        } else if decoded.isOverLimit {
            // RFC 9113 §10.5.1: the block was processed for HPACK's sake; the request is refused.
            resetUnopened(id, .enhanceYourCalm)
        } else if let request = RequestValidation.checkRequest(decoded.fields) {
            if endStream, let length = request.contentLength, length != 0 {
                // RFC 9113 §8.1.1: a request that ends here has no body to match its length.
                resetUnopened(id, .protocolError)
                return
            }
            let receiveWindow = ourSettingsAcknowledged ? configuration.initialWindowSize : windowBeforeOurSettings
            streams[id] = Stream(sendWindow: peerInitialWindowSize, receiveWindow: receiveWindow, remoteEnded: endStream,
                                 contentLength: request.contentLength)
            lastProcessedStreamID = id
            events.append(.headers(streamID: id, fields: decoded.fields, endStream: endStream))
        } else {
            resetUnopened(id, .protocolError)
        }
    }

    // MARK: RST_STREAM, SETTINGS, WINDOW_UPDATE

    private mutating func receiveReset(_ id: UInt32, _ code: HTTP2ErrorCode) {
        if streams[id] != nil {
            close(id, .closedByPeer)
            events.append(.streamReset(streamID: id, errorCode: code))
            countReset()
        } else if status(ofClosed: id) == .idle {
            connectionError(.protocolError, "RST_STREAM on idle stream \(id)")
        }
    }

    private mutating func receiveSettings(ack: Bool, _ settings: [Setting]) {
        if ack {
            if !ourSettingsAcknowledged {
                ourSettingsAcknowledged = true
                applyAcknowledgedSettings()
            }
            return
        }
        for setting in settings {
            let value = Int(setting.value)
            switch setting.identifier {
            case Setting.enablePush:
                if value > 1 {
                    connectionError(.protocolError, "SETTINGS_ENABLE_PUSH \(value)")
                    return
                }
            case Setting.initialWindowSize:
                // RFC 9113 §6.9.2: the change applies to every open stream's window, which may go
                // negative, and must not push one past 2^31 - 1.
                if value > FrameHeader.maxWindowSize {
                    connectionError(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE \(value)")
                    return
                }
                let delta = value - peerInitialWindowSize
                peerInitialWindowSize = value
                for id in Array(streams.keys) {
                    streams[id]!.sendWindow += delta
                    if streams[id]!.sendWindow > FrameHeader.maxWindowSize {
                        connectionError(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE overflows the window of stream \(id)")
                        return
                    }
                }
            case Setting.maxFrameSize:
                guard FrameHeader.maxFrameSizeRange.contains(value) else {
                    connectionError(.protocolError, "SETTINGS_MAX_FRAME_SIZE \(value)")
                    return
                }
                peerMaxFrameSize = value
            default:
                // SETTINGS_HEADER_TABLE_SIZE binds an encoder that never indexes (its table is
                // announced empty); the concurrency limit binds pushes, which we never make;
                // SETTINGS_MAX_HEADER_LIST_SIZE is advice. Unknown settings are ignored (§6.5.2).
                break
            }
        }
        countPingOrSettings()
        queueControl(.settings(ack: true, []))
    }

    /// A stream's receive window until the peer acknowledges our SETTINGS: it may still assume the
    /// default, so a smaller configured window is not yet in force.
    private var windowBeforeOurSettings: Int { max(configuration.initialWindowSize, Self.defaultWindowSize) }

    /// Our SETTINGS now bind the peer: windows shrink to a smaller initial size, and the decoder
    /// refuses a table larger than advertised.
    private mutating func applyAcknowledgedSettings() {
        let delta = configuration.initialWindowSize - windowBeforeOurSettings
        if delta != 0 {
            for id in Array(streams.keys) { streams[id]!.receiveWindow += delta }
        }
        decoder.setMaxTableSizeAllowed(configuration.headerTableSize)
    }

    private mutating func receiveWindowUpdate(_ id: UInt32, increment: Int) {
        if id == 0 {
            // RFC 9113 §6.9: a zero increment on the connection, or a window past 2^31 - 1, ends it.
            if increment == 0 {
                connectionError(.protocolError, "WINDOW_UPDATE of 0 on the connection")
            } else if connectionSendWindow + increment > FrameHeader.maxWindowSize {
                connectionError(.flowControlError, "WINDOW_UPDATE overflows the connection window")
            } else {
                connectionSendWindow += increment
            }
            return
        }
        guard var stream = streams[id] else {
            // §6.9: WINDOW_UPDATE may follow the end of a stream; on an idle one it is an error.
            if status(ofClosed: id) == .idle { connectionError(.protocolError, "WINDOW_UPDATE on idle stream \(id)") }
            return
        }
        if increment == 0 {
            streamError(id, .protocolError, "WINDOW_UPDATE of 0 on stream \(id)")
        } else if stream.sendWindow + increment > FrameHeader.maxWindowSize {
            streamError(id, .flowControlError, "WINDOW_UPDATE overflows the window of stream \(id)")
        } else {
            stream.sendWindow += increment
            streams[id] = stream
        }
    }

    // MARK: Errors and limits

    /// RFC 9113 §5.4.2: resets one stream. An idle stream cannot be reset, so an error on one is a
    /// connection error; a stream already closed needs nothing.
    private mutating func streamError(_ id: UInt32, _ code: HTTP2ErrorCode, _ reason: String) {
        if streams[id] != nil {
            close(id, .resetByUs)
            events.append(.streamReset(streamID: id, errorCode: code))
            queueControl(.rstStream(streamID: id, errorCode: code.rawValue))
            countReset()
        } else if status(ofClosed: id) == .idle {
            connectionError(code, reason)
        }
    }

    /// Refuses a stream whose headers were never delivered: RST_STREAM, and its late frames ignored.
    private mutating func resetUnopened(_ id: UInt32, _ code: HTTP2ErrorCode) {
        closedStreams.remember(id, .resetByUs)
        queueControl(.rstStream(streamID: id, errorCode: code.rawValue))
        countReset()
    }

    /// RFC 9113 §5.4.1: GOAWAY with the last stream we processed, then nothing more.
    private mutating func connectionError(_ code: HTTP2ErrorCode, _ reason: String) {
        guard !isClosed else { return }
        isClosed = true
        streams.removeAll()
        sendQueue.removeAll()
        creditedStreams.removeAll()
        connectionPendingCredit = 0
        headerBlock = []
        // The reason goes into the debug data, which is for diagnostics (§6.8).
        Frame.goAway(lastStreamID: lastProcessedStreamID, errorCode: code.rawValue, debugData: Array(reason.utf8.prefix(256)))
            .write(into: &output)
    }

    /// Queues an answer to the peer; too many undrained ones means the peer does not read.
    private mutating func queueControl(_ frame: Frame) {
        guard !isClosed else { return }
        frame.write(into: &output)
        queuedControlFrames += 1
        if queuedControlFrames > configuration.maxQueuedControlFrames {
            connectionError(.enhanceYourCalm, "more than \(configuration.maxQueuedControlFrames) frames queued for a peer that does not read")
        }
    }

    /// Counts a reset stream against the rapid-reset limit.
    private mutating func countReset() {
        if resets.count(at: nowNanoseconds, window: configuration.resetWindowNanoseconds) > configuration.maxResetsPerWindow {
            connectionError(.enhanceYourCalm, "more than \(configuration.maxResetsPerWindow) streams reset in \(configuration.resetWindowNanoseconds / 1_000_000) ms")
        }
    }

    /// Counts a PING or SETTINGS that asks for an answer against its limit.
    private mutating func countPingOrSettings() {
        let count = pingsAndSettings.count(at: nowNanoseconds, window: configuration.resetWindowNanoseconds)
        if count > configuration.maxPingsAndSettingsPerWindow {
            connectionError(.enhanceYourCalm, "more than \(configuration.maxPingsAndSettingsPerWindow) PING and SETTINGS frames in \(configuration.resetWindowNanoseconds / 1_000_000) ms")
        }
    }

    /// Forgets an open stream and remembers how it closed.
    private mutating func close(_ id: UInt32, _ closure: StreamClosure) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        closedStreams.remember(id, closure)
        if !stream.pendingChunks.isEmpty || stream.localEndQueued { sendQueue.removeAll { $0 == id } }
        if stream.pendingCredit > 0 { creditedStreams.removeAll { $0 == id } }
    }

    // MARK: - Sending

    /// Sends a response header block, or trailers when headers went out already (then
    /// `endStream` must be true). Encoded with HPACK and split into HEADERS and CONTINUATION
    /// frames by the peer's SETTINGS_MAX_FRAME_SIZE; trailers wait behind queued data.
    ///
    /// Returns false, sending nothing, when the stream is not open (reset, never opened, or
    /// already ended by us) or when trailers lack `endStream`.
    @discardableResult
    public mutating func sendHeaders(streamID: UInt32, fields: [HeaderField], endStream: Bool) -> Bool {
        guard !isClosed, var stream = streams[streamID], !stream.localEndQueued else { return false }
        if !stream.headersSent {
            stream.headersSent = true
            stream.localEndQueued = endStream
            streams[streamID] = stream
            writeHeaderBlock(streamID, fields, endStream: endStream)
            if endStream { localEndWritten(streamID) }
            return true
        }
        guard endStream else { return false }
        stream.localEndQueued = true
        if stream.pendingOctets > 0 {
            stream.pendingTrailers = fields
            streams[streamID] = stream
            return true
        }
        streams[streamID] = stream
        writeHeaderBlock(streamID, fields, endStream: true)
        localEndWritten(streamID)
        return true
    }

    /// Queues response body octets; they go out from `drainOutput` as the peer's windows allow,
    /// in DATA frames no larger than its SETTINGS_MAX_FRAME_SIZE.
    ///
    /// Returns false, keeping nothing, when the stream is not open, its headers have not been
    /// sent, or the response has ended.
    @discardableResult
    public mutating func sendData(streamID: UInt32, bytes: [UInt8], endStream: Bool) -> Bool {
        guard !isClosed, let index = streams.index(forKey: streamID) else { return false }
        let scheduled: Bool? = Self.queue(bytes, endStream: endStream, on: &streams.values[index])
        guard let scheduled else { return false }
        if scheduled { sendQueue.append(streamID) }
        return true
    }

    /// Adds response octets to a stream in place (a copy of the stream would copy its chunk list
    /// on append). Returns nil when the stream cannot take them, else whether the stream newly
    /// needs a place in the send queue.
    private static func queue(_ bytes: [UInt8], endStream: Bool, on stream: inout Stream) -> Bool? {
        guard stream.headersSent, !stream.localEndQueued else { return nil }
        let wasScheduled = stream.pendingOctets > 0
        if !bytes.isEmpty {
            stream.pendingChunks.append(bytes)
            stream.pendingOctets += bytes.count
        }
        if endStream { stream.localEndQueued = true }
        return !wasScheduled && (stream.pendingOctets > 0 || endStream)
    }

    /// Resets a stream (RST_STREAM with `errorCode`), dropping its queued response. Ignored for a
    /// stream that is not open.
    public mutating func resetStream(streamID: UInt32, errorCode: HTTP2ErrorCode) {
        guard !isClosed, streams[streamID] != nil else { return }
        close(streamID, .resetByUs)
        Frame.rstStream(streamID: streamID, errorCode: errorCode.rawValue).write(into: &output)
    }

    /// Starts a graceful shutdown (RFC 9113 §6.8): GOAWAY NO_ERROR naming the last stream we
    /// processed. Open streams run to their end; newer ones are ignored, and the peer retries them
    /// on another connection. `canClose` turns true once every stream is finished and drained.
    public mutating func beginGracefulShutdown() {
        guard !isClosed, !goAwaySent else { return }
        goAwaySent = true
        Frame.goAway(lastStreamID: lastProcessedStreamID, errorCode: HTTP2ErrorCode.noError.rawValue, debugData: [])
            .write(into: &output)
    }

    /// Appends everything that can be written now to `buffer`: queued frames, WINDOW_UPDATEs for
    /// the data received, and response DATA as far as the peer's windows allow. DATA beyond them
    /// stays inside and goes out from a later call, after the peer's WINDOW_UPDATE.
    public mutating func drainOutput(into buffer: ByteBuffer) {
        if !isClosed { queueCredit() }
        flushOutput(into: buffer)
        if !isClosed, !sendQueue.isEmpty {
            writeScheduledData(into: buffer)
            flushOutput(into: buffer)
        }
    }

    private mutating func flushOutput(into buffer: ByteBuffer) {
        buffer.write(output)
        if output.capacity > Self.retainedOutputCapacityMax {
            output = []
        } else {
            output.removeAll(keepingCapacity: true)
        }
        queuedControlFrames = 0
    }

    /// WINDOW_UPDATEs returning the credit of the DATA received since the last drain: one for the
    /// connection, one per stream still receiving.
    private mutating func queueCredit() {
        if connectionPendingCredit > 0 {
            Frame.windowUpdate(streamID: 0, increment: UInt32(connectionPendingCredit)).write(into: &output)
            connectionReceiveWindow += connectionPendingCredit
            connectionPendingCredit = 0
        }
        for id in creditedStreams {
            guard var stream = streams[id], stream.pendingCredit > 0 else { continue }
            if !stream.remoteEnded {
                Frame.windowUpdate(streamID: id, increment: UInt32(stream.pendingCredit)).write(into: &output)
                stream.receiveWindow += stream.pendingCredit
            }
            stream.pendingCredit = 0
            streams[id] = stream
        }
        creditedStreams.removeAll(keepingCapacity: true)
    }

    /// Writes DATA round-robin, one frame per stream per round, within the windows.
    private mutating func writeScheduledData(into buffer: ByteBuffer) {
        var progress = true
        // Each round walks its own array while `sendQueue` collects the streams still waiting
        // (a stream that ends is taken out of `sendQueue` by `close`, which must not touch the
        // array being walked); the two arrays swap roles and keep their storage.
        var round: [UInt32] = []
        swap(&round, &spareSendQueue)
        while progress, !sendQueue.isEmpty {
            progress = false
            swap(&round, &sendQueue)
            for id in round {
                guard let index = streams.index(forKey: id) else { continue }
                // A stream with only END_STREAM left sends an empty DATA frame, which flow control
                // does not hold back (RFC 9113 §6.9).
                let pending = streams.values[index].pendingOctets
                let size = pending == 0 ? 0 : min(pending, streams.values[index].sendWindow, connectionSendWindow, peerMaxFrameSize)
                if pending > 0, size <= 0 {
                    sendQueue.append(id)
                    continue
                }
                let last = size == pending
                // END_STREAM rides on the last DATA frame unless trailers wait to carry it.
                let endStream = last && streams.values[index].localEndQueued && streams.values[index].pendingTrailers == nil
                Self.writeData(&streams.values[index], id, size: size, endStream: endStream, into: buffer)
                connectionSendWindow -= size
                progress = true
                if !last {
                    sendQueue.append(id)
                } else if let trailers = streams.values[index].pendingTrailers {
                    streams.values[index].pendingTrailers = nil
                    writeHeaderBlock(id, trailers, endStream: true)
                    localEndWritten(id)
                } else if endStream {
                    localEndWritten(id)
                }
            }
            round.removeAll(keepingCapacity: true)
        }
        swap(&round, &spareSendQueue)
    }

    /// Writes one DATA frame of `size` octets taken from the stream's chunks, and charges its window.
    private static func writeData(_ stream: inout Stream, _ id: UInt32, size: Int, endStream: Bool, into buffer: ByteBuffer) {
        FrameHeader(length: size, type: .data, flags: endStream ? FrameFlags.endStream : 0, streamID: id).write(into: buffer)
        stream.sendWindow -= size
        var remaining = size
        while remaining > 0 {
            let chunk = stream.pendingChunks[0]
            let take = min(remaining, chunk.count - stream.chunkOffset)
            chunk.withUnsafeBytes { buffer.write(UnsafeRawBufferPointer(rebasing: $0[stream.chunkOffset..<(stream.chunkOffset + take)])) }
            remaining -= take
            stream.chunkOffset += take
            if stream.chunkOffset == chunk.count {
                stream.pendingChunks.removeFirst()
                stream.chunkOffset = 0
            }
        }
        stream.pendingOctets -= size
    }

    /// Encodes a header block and writes it as HEADERS and CONTINUATION frames (RFC 9113 §4.3:
    /// one contiguous sequence, which a single write guarantees).
    private mutating func writeHeaderBlock(_ id: UInt32, _ fields: [HeaderField], endStream: Bool) {
        // Usually the block fits one frame: encode it in place after room for the frame header,
        // then fill the header in.
        let headerStart = output.count
        output.append(contentsOf: repeatElement(0, count: FrameHeader.size))
        encoder.encode(fields, into: &output)
        let length = output.count - headerStart - FrameHeader.size
        if length <= peerMaxFrameSize {
            FrameHeader(length: length, type: .headers, flags: FrameFlags.endHeaders | (endStream ? FrameFlags.endStream : 0), streamID: id)
                .overwrite(&output, at: headerStart)
            return
        }
        let block = Array(output[(headerStart + FrameHeader.size)...])
        output.removeSubrange(headerStart...)
        var start = 0
        var first = true
        repeat {
            let end = min(block.count, start + peerMaxFrameSize)
            let flags = (end == block.count ? FrameFlags.endHeaders : 0) | (first && endStream ? FrameFlags.endStream : 0)
            FrameHeader(length: end - start, type: first ? .headers : .continuation, flags: flags, streamID: id).write(into: &output)
            output.append(contentsOf: block[start..<end])
            start = end
            first = false
        } while start < block.count
    }

    /// Our END_STREAM is written: the stream closes if the peer's side is done too; otherwise
    /// RST_STREAM NO_ERROR tells the peer to stop sending a request we answered (RFC 9113 §8.1).
    private mutating func localEndWritten(_ id: UInt32) {
        guard let stream = streams[id] else { return }
        if stream.remoteEnded {
            close(id, .closedByPeer)
        } else {
            close(id, .resetByUs)
            Frame.rstStream(streamID: id, errorCode: HTTP2ErrorCode.noError.rawValue).write(into: &output)
        }
    }
}

/// Events counted in a fixed window of time (a window starts with its first event).
struct RateWindow: Sendable {
    private var start: UInt64 = 0
    private var events = 0

    /// Counts one event at `now` and returns how many fell in the current window.
    mutating func count(at now: UInt64, window: UInt64) -> Int {
        if events == 0 || now &- start >= window {
            start = now
            events = 0
        }
        events += 1
        return events
    }
}
