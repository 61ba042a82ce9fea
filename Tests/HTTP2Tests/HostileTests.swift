@testable import HTTP2
import Testing

// Each hostile peer ends in GOAWAY (or a stream reset where RFC 9113 asks for one) with bounded
// memory: what the connection buffers is checked where it could grow.

/// The GOAWAY code the server wrote since the last drain, after checking the connection closed.
func closingCode(_ client: TestClient, sourceLocation: SourceLocation = #_sourceLocation) -> HTTP2ErrorCode? {
    #expect(client.connection.isClosed, sourceLocation: sourceLocation)
    let code = goAway(in: client.drain())?.code
    #expect(client.connection.canClose, sourceLocation: sourceLocation)
    return code
}

@Test func hostile_oversizeFrameIsAFrameSizeError() {
    let client = TestClient()
    // Only the header of a 1 MiB DATA frame: refused before any payload is buffered.
    client.send(client.headers(1))
    client.send(bytes: [0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01])
    #expect(closingCode(client) == .frameSizeError)
}

@Test func hostile_headerListOverTheLimitResetsTheStreamAndKeepsHPACKInStep() {
    let client = TestClient(.make(maxHeaderListSize: 1_000))
    let big = fields([("x-big", String(repeating: "a", count: 2_000))])
    // Indexed by the client's encoder: the server must insert it although it refuses the request.
    #expect(client.send(client.headers(1, request() + big)).isEmpty)
    #expect(resets(in: client.drain()) == [1: .enhanceYourCalm])
    #expect(client.send(client.headers(3, request() + fields([("x-small", "1")])))
        == [.headers(streamID: 3, fields: request() + fields([("x-small", "1")]), endStream: false)])
    #expect(!client.connection.isClosed)
}

@Test func hostile_headerBlockLongerThanTheLimitPlusAFrameIsNotBuffered() {
    let client = TestClient(.make(maxHeaderListSize: 1_000, maxContinuationFrames: 1_000))
    client.send(.headers(streamID: 1, fragment: client.block(request()), endStream: false, endHeaders: false))
    // Literal bytes that never end a field: the block grows until the buffer limit.
    var sent = 0
    while !client.connection.isClosed, sent < 1_000_000 {
        client.send(.continuation(streamID: 1, fragment: [UInt8](repeating: 0x61, count: 4_000), endHeaders: false))
        sent += 4_000
    }
    #expect(sent <= 1_000 + 16_384 + 4_000)
    #expect(closingCode(client) == .enhanceYourCalm)
}

@Test func hostile_continuationFloodWithoutEndHeaders() {
    let client = TestClient()
    client.send(.headers(streamID: 1, fragment: [], endStream: false, endHeaders: false))
    var frames = 0
    while !client.connection.isClosed, frames < 10_000 {
        client.send(.continuation(streamID: 1, fragment: [], endHeaders: false))
        frames += 1
    }
    #expect(frames == 33)
    #expect(closingCode(client) == .enhanceYourCalm)
}

@Test func hostile_headersInterruptedByAnotherFrame() {
    let client = TestClient()
    client.send(.headers(streamID: 1, fragment: client.block(request()), endStream: false, endHeaders: false),
                .data(streamID: 1, data: [1], endStream: false))
    #expect(closingCode(client) == .protocolError)

    let other = TestClient()
    other.send(.headers(streamID: 1, fragment: other.block(request()), endStream: false, endHeaders: false),
               .continuation(streamID: 3, fragment: [], endHeaders: true))
    #expect(closingCode(other) == .protocolError)

    let orphan = TestClient()
    orphan.send(.continuation(streamID: 1, fragment: [], endHeaders: true))
    #expect(closingCode(orphan) == .protocolError)
}

@Test func hostile_rapidResetEndsTheConnection() {
    let client = TestClient(.make(maxResetsPerWindow: 50))
    var id: UInt32 = 1
    var opened = 0
    while !client.connection.isClosed, opened < 10_000 {
        let events = client.send(client.headers(id, endStream: true), .rstStream(streamID: id, errorCode: HTTP2ErrorCode.cancel.rawValue))
        if !client.connection.isClosed { #expect(events.count == 2) }
        opened += 1
        id += 2
    }
    #expect(opened == 51)
    #expect(closingCode(client) == .enhanceYourCalm)
}

@Test func hostile_resetsSpreadOverTimeAreAllowed() {
    let client = TestClient(.make(maxResetsPerWindow: 50))
    var id: UInt32 = 1
    for _ in 0..<500 {
        client.send(client.headers(id, endStream: true), .rstStream(streamID: id, errorCode: HTTP2ErrorCode.cancel.rawValue))
        id += 2
        client.nowNanoseconds += 250_000_000  // 40 per 10 s
        client.drain()
    }
    #expect(!client.connection.isClosed)
}

@Test func hostile_settingsFloodFromAPeerThatDoesNotRead() {
    let client = TestClient(.make(maxQueuedControlFrames: 100))
    var sent = 0
    while !client.connection.isClosed, sent < 10_000 {
        client.send(.settings(ack: false, []))
        sent += 1
    }
    #expect(sent == 101)
    #expect(closingCode(client) == .enhanceYourCalm)
}

@Test func hostile_pingFloodFromAPeerThatDoesNotRead() {
    let client = TestClient(.make(maxQueuedControlFrames: 100))
    // All in one read: the limit bites inside a single receive.
    client.send(bytes: wireBytes((0..<10_000).map { .ping(ack: false, opaqueData: UInt64($0)) }))
    #expect(closingCode(client) == .enhanceYourCalm)
}

@Test func hostile_pingFloodThatIsReadIsStillLimitedPerWindow() {
    var configuration = HTTP2Configuration.make(maxQueuedControlFrames: 100)
    configuration.maxPingsAndSettingsPerWindow = 500
    let client = TestClient(configuration)
    // Every answer is drained (deep socket buffers take them), so the queue never fills; the
    // count per window still ends it. The preface's SETTINGS counted once.
    var sent = 0
    while !client.connection.isClosed, sent < 10_000 {
        client.send(bytes: wireBytes((0..<50).map { .ping(ack: false, opaqueData: UInt64(sent + $0)) }))
        sent += 50
        if !client.connection.isClosed { client.drain() }
    }
    #expect(sent == 500)
    #expect(closingCode(client) == .enhanceYourCalm)
}

@Test func hostile_pingsFromAPeerThatReadsAreAnswered() {
    let client = TestClient(.make(maxQueuedControlFrames: 100))
    for round in 0..<100 {
        client.send(bytes: wireBytes((0..<50).map { .ping(ack: false, opaqueData: UInt64(round * 50 + $0)) }))
        #expect(client.drain().count == 50)
    }
    #expect(!client.connection.isClosed)
}

@Test func hostile_streamIdReuse() {
    // A lower id never used: PROTOCOL_ERROR (RFC 9113 §5.1.1).
    let lower = TestClient()
    lower.send(lower.headers(5, endStream: true))
    lower.send(lower.headers(3, endStream: true))
    #expect(closingCode(lower) == .protocolError)

    // An id whose stream finished: STREAM_CLOSED (§5.1, "closed").
    let finished = TestClient()
    finished.send(finished.headers(1, endStream: true))
    finished.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: true)
    finished.drain()
    finished.send(finished.headers(1, endStream: true))
    #expect(closingCode(finished) == .streamClosed)

    // Even ids are the server's.
    let even = TestClient()
    even.send(even.headers(2, endStream: true))
    #expect(closingCode(even) == .protocolError)
}

@Test func hostile_dataOnClosedAndHalfClosedStreams() {
    // Half-closed (remote): the stream is reset with STREAM_CLOSED.
    let halfClosed = TestClient()
    halfClosed.send(halfClosed.headers(1, endStream: true))
    #expect(halfClosed.send(.data(streamID: 1, data: [1], endStream: false)) == [.streamReset(streamID: 1, errorCode: .streamClosed)])
    let frames = halfClosed.drain()
    #expect(resets(in: frames) == [1: .streamClosed])
    // The connection credit of that frame is returned all the same.
    #expect(frames.contains(.windowUpdate(streamID: 0, increment: 1)))

    // Closed after both sides ended: connection error STREAM_CLOSED.
    let closed = TestClient()
    closed.send(closed.headers(1, endStream: true))
    closed.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: true)
    closed.drain()
    closed.send(.data(streamID: 1, data: [1], endStream: false))
    #expect(closingCode(closed) == .streamClosed)

    // Idle: PROTOCOL_ERROR.
    let idle = TestClient()
    idle.send(.data(streamID: 7, data: [1], endStream: false))
    #expect(closingCode(idle) == .protocolError)
}

@Test func hostile_windowOverflow() {
    let connection = TestClient()
    connection.send(.windowUpdate(streamID: 0, increment: 0x7FFF_FFFF - 65_535))
    #expect(!connection.connection.isClosed)
    connection.send(.windowUpdate(streamID: 0, increment: 1))
    #expect(closingCode(connection) == .flowControlError)

    let stream = TestClient()
    stream.send(stream.headers(1, endStream: true))
    #expect(stream.send(.windowUpdate(streamID: 1, increment: 0x7FFF_FFFF)) == [.streamReset(streamID: 1, errorCode: .flowControlError)])
    #expect(resets(in: stream.drain()) == [1: .flowControlError])
    #expect(!stream.connection.isClosed)

    let settings = TestClient()
    settings.send(settings.headers(1, endStream: true))
    settings.send(.windowUpdate(streamID: 1, increment: 0x7FFF_FFFF - 65_535))
    settings.send(.settings(ack: false, [Setting(identifier: Setting.initialWindowSize, value: 65_536)]))
    #expect(closingCode(settings) == .flowControlError)

    let tooLarge = TestClient()
    tooLarge.send(.settings(ack: false, [Setting(identifier: Setting.initialWindowSize, value: 0x8000_0000)]))
    #expect(closingCode(tooLarge) == .flowControlError)
}

@Test func hostile_zeroWindowUpdates() {
    let connection = TestClient()
    connection.send(.windowUpdate(streamID: 0, increment: 0))
    #expect(closingCode(connection) == .protocolError)

    let stream = TestClient()
    stream.send(stream.headers(1))
    #expect(stream.send(.windowUpdate(streamID: 1, increment: 0)) == [.streamReset(streamID: 1, errorCode: .protocolError)])
    #expect(resets(in: stream.drain()) == [1: .protocolError])

    // A stream of them on new streams runs into the reset limit.
    let flood = TestClient(.make(maxResetsPerWindow: 20))
    var id: UInt32 = 1
    while !flood.connection.isClosed, id < 1_000 {
        flood.send(flood.headers(id), .windowUpdate(streamID: id, increment: 0))
        id += 2
    }
    #expect(closingCode(flood) == .enhanceYourCalm)
}

@Test func hostile_dataBeyondTheWindow() {
    let stream = TestClient(.make(initialWindowSize: 100))
    stream.send(stream.headers(1))
    #expect(stream.send(.data(streamID: 1, data: [UInt8](repeating: 0, count: 101), endStream: false))
        == [.streamReset(streamID: 1, errorCode: .flowControlError)])

    let connection = TestClient(.make(connectionWindowSize: 65_535))
    connection.send(connection.headers(1), connection.headers(3))
    // 65,535 octets fit the connection window, one more does not (no credit was drained).
    for _ in 0..<3 { connection.send(.data(streamID: 1, data: [UInt8](repeating: 0, count: 16_000), endStream: false)) }
    connection.send(.data(streamID: 3, data: [UInt8](repeating: 0, count: 16_000), endStream: false))
    #expect(!connection.connection.isClosed)
    connection.send(.data(streamID: 3, data: [UInt8](repeating: 0, count: 1_536), endStream: false))
    #expect(closingCode(connection) == .flowControlError)
}

@Test func hostile_hpackIndexOutOfRange() {
    let client = TestClient()
    client.send(.headers(streamID: 1, fragment: [0x82, 0x86, 0xFF, 0x00], endStream: true, endHeaders: true))
    #expect(closingCode(client) == .compressionError)
}

@Test func hostile_hpackSizeUpdateAboveTheSetting() {
    let client = TestClient(.make(headerTableSize: 1_024))
    client.send(.headers(streamID: 1, fragment: [0x3F, 0xE2, 0x1F, 0x82], endStream: true, endHeaders: true))  // 4,097
    #expect(closingCode(client) == .compressionError)
}

@Test func hostile_moreStreamsThanAdvertised() {
    let client = TestClient(.make(maxConcurrentStreams: 10, maxResetsPerWindow: 30))
    var refused = 0
    var id: UInt32 = 1
    while !client.connection.isClosed, id < 2_000 {
        let events = client.send(client.headers(id))
        if events.isEmpty, !client.connection.isClosed { refused += 1 }
        id += 2
    }
    // Ten open, then refusals until the reset limit: a client that ignores the limit is cut off.
    #expect(refused == 30)
    #expect(client.connection.openStreamCount == 0)
    #expect(closingCode(client) == .enhanceYourCalm)
}

@Test func hostile_emptyDataFlood() {
    let client = TestClient(.make(maxEmptyDataFrames: 100))
    client.send(client.headers(1))
    client.send(bytes: wireBytes((0..<101).map { _ in .data(streamID: 1, data: [], endStream: false) }))
    #expect(closingCode(client) == .enhanceYourCalm)

    // Empty frames between frames that carry data are fine.
    let mixed = TestClient(.make(maxEmptyDataFrames: 100))
    mixed.send(mixed.headers(1))
    for _ in 0..<20 {
        mixed.send(bytes: wireBytes((0..<50).map { _ in .data(streamID: 1, data: [], endStream: false) } + [.data(streamID: 1, data: [1], endStream: false)]))
        mixed.drain()
    }
    #expect(!mixed.connection.isClosed)
}

@Test func hostile_pushPromiseFromAClient() {
    let client = TestClient()
    client.send(client.headers(1))
    client.send(.pushPromise(streamID: 1, promisedStreamID: 2, fragment: [0x82], endHeaders: true))
    #expect(closingCode(client) == .protocolError)
}

@Test func hostile_invalidSettings() {
    for setting in [Setting(identifier: Setting.enablePush, value: 2), Setting(identifier: Setting.maxFrameSize, value: 16_383),
                    Setting(identifier: Setting.maxFrameSize, value: 1 << 24)] {
        let client = TestClient()
        client.send(.settings(ack: false, [setting]))
        #expect(closingCode(client) == .protocolError, "\(setting)")
    }
}

@Test func hostile_resetOfAnIdleStream() {
    let client = TestClient()
    client.send(.rstStream(streamID: 9, errorCode: 0))
    #expect(closingCode(client) == .protocolError)
}

@Test func hostile_selfDependencyResetsTheStream() {
    let client = TestClient()
    client.send(client.headers(1))
    #expect(client.send(.priority(streamID: 1, PriorityFields(exclusive: false, dependency: 1, weight: 0)))
        == [.streamReset(streamID: 1, errorCode: .protocolError)])
    // In HEADERS it refuses the stream, after decoding the block.
    client.send(.headers(streamID: 3, fragment: client.block(request() + fields([("x-k", "v")])), endStream: true, endHeaders: true,
                         priority: PriorityFields(exclusive: false, dependency: 3, weight: 0)))
    #expect(resets(in: client.drain()) == [1: .protocolError, 3: .protocolError])
    #expect(client.send(client.headers(5, request() + fields([("x-k", "v")]), endStream: true)).count == 1)
}

@Test(arguments: [
    ("uppercase name", request(extra: [("Content-Type", "application/grpc")])),
    ("missing :path", fields([(":method", "POST"), (":scheme", "http"), (":authority", "x")])),
    ("pseudo after regular", fields([(":method", "POST"), ("te", "trailers"), (":scheme", "http"), (":path", "/")])),
    ("unknown pseudo", request(extra: []) + []),
    ("connection header", request(extra: [("connection", "keep-alive")])),
    ("te other than trailers", request(extra: [("te", "gzip")])),
    ("value with a newline", request(extra: [("x-a", "b\nc")])),
    ("value with leading space", request(extra: [("x-a", " b")])),
    ("duplicate :method", fields([(":method", "POST"), (":method", "GET"), (":scheme", "http"), (":path", "/")])),
    ("empty :path", fields([(":method", "POST"), (":scheme", "http"), (":path", "")])),
    ("bad content-length", request(extra: [("content-length", "1x")])),
])
func hostile_malformedRequestsAreRefused(name: String, requestFields: [HeaderField]) {
    let client = TestClient()
    var fieldsToSend = requestFields
    if name == "unknown pseudo" { fieldsToSend.insert(HeaderField(":protocol", "websocket"), at: 1) }
    #expect(client.send(client.headers(1, fieldsToSend, endStream: true)).isEmpty, "\(name)")
    #expect(resets(in: client.drain()) == [1: .protocolError], "\(name)")
    #expect(!client.connection.isClosed)
}

@Test func hostile_contentLengthMustMatchTheData() {
    let short = TestClient()
    short.send(short.headers(1, request(extra: [("content-length", "5")])))
    #expect(short.send(.data(streamID: 1, data: [1, 2], endStream: true)).last == .streamReset(streamID: 1, errorCode: .protocolError))

    let long = TestClient()
    long.send(long.headers(1, request(extra: [("content-length", "1")])))
    #expect(long.send(.data(streamID: 1, data: [1, 2], endStream: false)).last == .streamReset(streamID: 1, errorCode: .protocolError))

    let exact = TestClient()
    exact.send(exact.headers(1, request(extra: [("content-length", "2")])))
    #expect(exact.send(.data(streamID: 1, data: [1, 2], endStream: true)) == [.data(streamID: 1, bytes: [1, 2], endStream: true)])
}

@Test func hostile_trailersWithoutEndStreamOrWithPseudoHeaders() {
    let noEnd = TestClient()
    noEnd.send(noEnd.headers(1))
    #expect(noEnd.send(noEnd.headers(1, fields([("x-t", "1")]), endStream: false)) == [.streamReset(streamID: 1, errorCode: .protocolError)])

    let pseudo = TestClient()
    pseudo.send(pseudo.headers(1))
    #expect(pseudo.send(pseudo.headers(1, fields([(":status", "1")]), endStream: true)) == [.streamReset(streamID: 1, errorCode: .protocolError)])
}
