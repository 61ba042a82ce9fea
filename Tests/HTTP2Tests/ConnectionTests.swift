@testable import HTTP2
import Testing

// MARK: - Preface and SETTINGS

@Test func connection_sendsItsSettingsAndWindowFirst() {
    let client = TestClient(.make(maxConcurrentStreams: 100, initialWindowSize: 1 << 16), handshake: false)
    #expect(client.connection.hasPendingOutput)
    let frames = client.drain()
    #expect(frames == [
        .settings(ack: false, [
            Setting(identifier: Setting.headerTableSize, value: 4_096),
            Setting(identifier: Setting.maxConcurrentStreams, value: 100),
            Setting(identifier: Setting.initialWindowSize, value: 1 << 16),
            Setting(identifier: Setting.maxFrameSize, value: 16_384),
            Setting(identifier: Setting.maxHeaderListSize, value: 16_384),
        ]),
        .windowUpdate(streamID: 0, increment: UInt32((1 << 20) - 65_535)),
    ])
    #expect(!client.connection.hasPendingOutput)
}

@Test func connection_acknowledgesThePeersSettingsAndTracksOurs() {
    let client = TestClient(handshake: false)
    client.drain()
    #expect(client.send(bytes: clientPreface + wireBytes([.settings(ack: false, [Setting(identifier: 0x4242, value: 1)])])).isEmpty)
    #expect(client.drain() == [.settings(ack: true, [])])
    #expect(!client.connection.isSettingsAcknowledged)
    client.send(.settings(ack: true, []))
    #expect(client.connection.isSettingsAcknowledged)
    #expect(client.drain().isEmpty)
}

@Test func connection_refusesAnHTTP1Request() {
    let client = TestClient(handshake: false)
    client.drain()
    #expect(client.send(bytes: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)).isEmpty)
    #expect(client.connection.isClosed)
    #expect(goAway(in: client.drain())?.code == .protocolError)
    #expect(client.connection.canClose)
    // Nothing more is read once closed.
    #expect(client.send(bytes: clientPreface).isEmpty)
}

@Test func connection_refusesAPrefaceNotFollowedBySettings() {
    let client = TestClient(handshake: false)
    client.send(bytes: clientPreface + wireBytes([.ping(ack: false, opaqueData: 1)]))
    #expect(goAway(in: client.drain())?.code == .protocolError)
}

@Test func connection_prefaceByteAtATime() {
    let client = TestClient(handshake: false)
    client.drain()
    let bytes = clientPreface + wireBytes([.settings(ack: false, [])])
    for byte in bytes { #expect(client.send(bytes: [byte]).isEmpty) }
    #expect(client.drain() == [.settings(ack: true, [])])
    #expect(!client.connection.isClosed)
}

// MARK: - A request and its response

/// HEADERS + CONTINUATION, DATA, trailers: what a gRPC client with small frames sends.
func fullRequestWire(_ client: TestClient) -> [UInt8] {
    let block = client.block(request() + fields([("grpc-timeout", "5S"), ("x-user-id", "alice")]))
    let split = block.count / 2
    var bytes = wireBytes([
        .headers(streamID: 1, fragment: Array(block[0..<split]), endStream: false, endHeaders: false),
        .continuation(streamID: 1, fragment: Array(block[split...]), endHeaders: true),
        .data(streamID: 1, data: [0, 0, 0, 0, 5] + Array("hello".utf8), endStream: false, padding: 4),
        .data(streamID: 1, data: Array(" world".utf8), endStream: false),
    ])
    bytes += wireBytes([.headers(streamID: 1, fragment: client.block(fields([("x-checksum", "abc")])), endStream: true, endHeaders: true)])
    return bytes
}

@Test func connection_fullExchange() {
    let client = TestClient()
    let events = client.send(bytes: fullRequestWire(client))
    #expect(events == [
        .headers(streamID: 1, fields: request() + fields([("grpc-timeout", "5S"), ("x-user-id", "alice")]), endStream: false),
        .data(streamID: 1, bytes: [0, 0, 0, 0, 5] + Array("hello world".utf8), endStream: false),
        .trailers(streamID: 1, fields: fields([("x-checksum", "abc")])),
    ])
    #expect(client.connection.openStreamCount == 1)

    // Credit for all 26 octets, padding included, on the connection; none on a stream that ended.
    #expect(client.drain() == [.windowUpdate(streamID: 0, increment: 10 + 5 + 6)])

    #expect(client.respond(streamID: 1, fields: fields([(":status", "200"), ("content-type", "application/grpc")]), endStream: false))
    #expect(client.respondData(streamID: 1, bytes: [0, 0, 0, 0, 2, 0x08, 0x01], endStream: false))
    #expect(client.respond(streamID: 1, fields: fields([("grpc-status", "0"), ("grpc-message", "")]), endStream: true))
    let frames = client.drain()
    #expect(frames.count == 3)
    guard frames.count == 3, case let .headers(1, head, false, true, nil, nil) = frames[0],
          case let .headers(1, trailers, true, true, nil, nil) = frames[2] else {
        Issue.record("unexpected frames \(frames)")
        return
    }
    #expect(frames[1] == .data(streamID: 1, data: [0, 0, 0, 0, 2, 0x08, 0x01], endStream: false))
    #expect(client.decode(head) == fields([(":status", "200"), ("content-type", "application/grpc")]))
    #expect(client.decode(trailers) == fields([("grpc-status", "0"), ("grpc-message", "")]))
    #expect(client.connection.openStreamCount == 0)
    #expect(!client.connection.hasPendingOutput)
    // The stream is closed now: more responses are refused.
    #expect(!client.respondData(streamID: 1, bytes: [1], endStream: true))
}

@Test func connection_fullExchangeSplitAtEveryPointGivesTheSameEvents() {
    let reference = TestClient()
    let bytes = fullRequestWire(reference)
    let expected = reference.send(bytes: bytes)
    for cut in 0...bytes.count {
        let client = TestClient()
        _ = fullRequestWire(client)  // the same encoder state as the reference
        let events = client.send(bytes: Array(bytes[0..<cut])) + client.send(bytes: Array(bytes[cut...]))
        #expect(joinData(events) == joinData(expected), "cut at \(cut)")
        #expect(!client.connection.isClosed)
    }
    let client = TestClient()
    _ = fullRequestWire(client)
    var events: [HTTP2Event] = []
    for byte in bytes { events += client.send(bytes: [byte]) }
    #expect(joinData(events) == joinData(expected))
}

/// Events with consecutive data events of one stream joined, as one `receive` would report them.
func joinData(_ events: [HTTP2Event]) -> [HTTP2Event] {
    var joined: [HTTP2Event] = []
    for event in events {
        if case let .data(id, bytes, endStream) = event, case let .data(lastID, lastBytes, false)? = joined.last, lastID == id {
            joined[joined.count - 1] = .data(streamID: id, bytes: lastBytes + bytes, endStream: endStream)
        } else if case let .data(_, bytes, false) = event, bytes.isEmpty {
            continue
        } else {
            joined.append(event)
        }
    }
    return joined
}

@Test func connection_returnsCreditForEveryDataFrame() {
    let client = TestClient(.make(initialWindowSize: 100, connectionWindowSize: 65_535))
    client.send(client.headers(1))
    for _ in 0..<10 {
        // 100 octets at a time, exactly the stream window; without credit the second would fail.
        let events = client.send(.data(streamID: 1, data: [UInt8](repeating: 1, count: 89), endStream: false, padding: 10))
        #expect(events == [.data(streamID: 1, bytes: [UInt8](repeating: 1, count: 89), endStream: false)])
        #expect(client.drain() == [.windowUpdate(streamID: 0, increment: 100), .windowUpdate(streamID: 1, increment: 100)])
    }
    #expect(!client.connection.isClosed)
}

@Test func connection_joinsDataEventsOfOneReceive() {
    let client = TestClient()
    let events = client.send(client.headers(1), .data(streamID: 1, data: [1, 2], endStream: false),
                             .data(streamID: 1, data: [], endStream: false), .data(streamID: 1, data: [3], endStream: true))
    #expect(events.count == 2)
    #expect(events.last == .data(streamID: 1, bytes: [1, 2, 3], endStream: true))
    // One WINDOW_UPDATE for the connection: the stream ended, so it gets none.
    #expect(client.drain() == [.windowUpdate(streamID: 0, increment: 3)])
}

@Test func connection_headersOnlyRequestAndTrailersOnlyResponse() {
    let client = TestClient()
    #expect(client.send(client.headers(1, request(method: "GET", path: "/"), endStream: true))
        == [.headers(streamID: 1, fields: request(method: "GET", path: "/"), endStream: true)])
    #expect(client.respond(streamID: 1, fields: fields([(":status", "200"), ("grpc-status", "12")]), endStream: true))
    let frames = client.drain()
    #expect(frames.count == 1)
    if case let .headers(1, block, true, true, nil, nil)? = frames.first {
        // The first block announces an empty encoder table, then `:status: 200` is static index 8.
        #expect(Array(block.prefix(2)) == [0x20, 0x88])
    } else {
        Issue.record("unexpected \(frames)")
    }
    #expect(client.connection.openStreamCount == 0)
}

@Test func connection_responseBeforeTheRequestEndsResetsWithNoError() {
    // RFC 9113 §8.1: a complete response may end a request still being sent.
    let client = TestClient()
    client.send(client.headers(1))
    client.respond(streamID: 1, fields: fields([(":status", "200"), ("grpc-status", "8")]), endStream: true)
    let frames = client.drain()
    #expect(resets(in: frames) == [1: .noError])
    #expect(client.connection.openStreamCount == 0)
    // DATA the client had in flight is ignored, its connection credit still returned.
    #expect(client.send(.data(streamID: 1, data: [1, 2, 3], endStream: true)).isEmpty)
    #expect(client.drain() == [.windowUpdate(streamID: 0, increment: 3)])
    #expect(!client.connection.isClosed)
}

@Test func connection_responseHeadersSplitIntoContinuationFrames() {
    let client = TestClient()
    client.send(client.headers(1, endStream: true))
    let big = fields((0..<60).map { ("x-field-\($0)", String(repeating: "\($0 % 10)", count: 1_000)) })
    client.respond(streamID: 1, fields: fields([(":status", "200")]) + big, endStream: true)
    let frames = client.drain()
    var block: [UInt8] = []
    for (index, frame) in frames.enumerated() {
        switch frame {
        case let .headers(1, fragment, endStream, endHeaders, nil, nil) where index == 0:
            #expect(endStream && !endHeaders)
            #expect(fragment.count == 16_384)
            block += fragment
        case let .continuation(1, fragment, endHeaders):
            #expect(endHeaders == (index == frames.count - 1))
            #expect(fragment.count <= 16_384)
            block += fragment
        default:
            Issue.record("unexpected \(frame)")
        }
    }
    #expect(frames.count >= 3)
    #expect(client.decode(block) == fields([(":status", "200")]) + big)
}

@Test func connection_dataFramesFollowThePeersMaxFrameSize() {
    let client = TestClient(settings: [Setting(identifier: Setting.maxFrameSize, value: 20_000),
                                       Setting(identifier: Setting.initialWindowSize, value: 1 << 20)])
    client.send(client.headers(1, endStream: true))
    client.send(.windowUpdate(streamID: 0, increment: 1 << 20))
    client.drain()
    client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: false)
    let body = (0..<50_000).map { UInt8(truncatingIfNeeded: $0) }
    client.respondData(streamID: 1, bytes: Array(body[0..<30_000]), endStream: false)
    client.respondData(streamID: 1, bytes: Array(body[30_000...]), endStream: true)
    let frames = client.drain()
    let sizes = frames.compactMap { frame -> Int? in
        if case let .data(1, data, _, _) = frame { return data.count }
        return nil
    }
    #expect(sizes == [20_000, 20_000, 10_000])
    #expect(dataBytes(in: frames, stream: 1) == body)
    if case let .data(_, _, endStream, _)? = frames.last { #expect(endStream) }
}

// MARK: - Flow control of responses

@Test func connection_responseWaitsForWindowAndResumes() {
    let client = TestClient(settings: [Setting(identifier: Setting.initialWindowSize, value: 10)])
    client.send(client.headers(1, endStream: true))
    client.drain()
    client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: false)
    client.respondData(streamID: 1, bytes: Array(0..<25), endStream: false)
    client.respond(streamID: 1, fields: fields([("grpc-status", "0")]), endStream: true)
    var frames = client.drain()
    #expect(frames.count == 2)
    #expect(frames.last == .data(streamID: 1, data: Array(0..<10), endStream: false))
    #expect(client.connection.hasPendingOutput)
    #expect(!client.connection.hasWritableOutput)
    #expect(client.drain().isEmpty)

    client.send(.windowUpdate(streamID: 1, increment: 10))
    #expect(client.connection.hasWritableOutput)
    #expect(client.drain() == [.data(streamID: 1, data: Array(10..<20), endStream: false)])

    client.send(.windowUpdate(streamID: 1, increment: 100))
    frames = client.drain()
    #expect(frames.first == .data(streamID: 1, data: Array(20..<25), endStream: false))
    // The trailers waited behind the data and close the stream.
    if frames.count == 2, case let .headers(1, block, true, true, nil, nil) = frames[1] {
        #expect(client.decode(block) == fields([("grpc-status", "0")]))
    } else {
        Issue.record("unexpected \(frames)")
    }
    #expect(!client.connection.hasPendingOutput)
    #expect(client.connection.openStreamCount == 0)
}

@Test func connection_connectionWindowIsSharedRoundRobin() {
    let client = TestClient(settings: [Setting(identifier: Setting.initialWindowSize, value: 1 << 20)])
    for id: UInt32 in [1, 3, 5] { client.send(client.headers(id, endStream: true)) }
    client.drain()
    for id: UInt32 in [1, 3, 5] {
        client.respond(streamID: id, fields: fields([(":status", "200")]), endStream: false)
        client.respondData(streamID: id, bytes: [UInt8](repeating: UInt8(id), count: 40_000), endStream: true)
    }
    // 65,535 octets of connection window: three frames of 16,384, then 16,383 for the first again.
    var frames = client.drain()
    let order = frames.compactMap { frame -> UInt32? in
        if case let .data(id, _, _, _) = frame { return id }
        return nil
    }
    #expect(order == [1, 3, 5, 1])
    #expect(frames.reduce(0) { total, frame in
        if case let .data(_, data, _, _) = frame { return total + data.count }
        return total
    } == 65_535)
    client.send(.windowUpdate(streamID: 0, increment: 200_000))
    frames = client.drain()
    for id: UInt32 in [1, 3, 5] {
        #expect(dataBytes(in: client.written, stream: id).count == 40_000)
    }
    #expect(client.connection.openStreamCount == 0)
}

@Test func connection_initialWindowChangeAppliesToOpenStreamsAndMayGoNegative() {
    let client = TestClient()
    client.send(client.headers(1, endStream: true))
    client.drain()
    client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: false)
    client.respondData(streamID: 1, bytes: [UInt8](repeating: 9, count: 1_000), endStream: true)
    client.send(.settings(ack: false, [Setting(identifier: Setting.initialWindowSize, value: 100)]))
    var frames = client.drain()
    #expect(dataBytes(in: frames, stream: 1).count == 100)
    // 900 sent... no: the window is now 100 - 100 = 0. Shrink it below zero.
    client.send(.settings(ack: false, [Setting(identifier: Setting.initialWindowSize, value: 0)]))
    client.send(.windowUpdate(streamID: 1, increment: 50))
    frames = client.drain()
    // -100 + 50 is still negative: nothing moves.
    #expect(dataBytes(in: frames, stream: 1).isEmpty)
    client.send(.windowUpdate(streamID: 1, increment: 950))
    frames = client.drain()
    #expect(dataBytes(in: frames, stream: 1).count == 900)
    #expect(client.connection.openStreamCount == 0)
}

@Test func connection_emptyEndOfStreamIsNotHeldByFlowControl() {
    let client = TestClient(settings: [Setting(identifier: Setting.initialWindowSize, value: 0)])
    client.send(client.headers(1, endStream: true))
    client.drain()
    client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: false)
    client.respondData(streamID: 1, bytes: [], endStream: true)
    let frames = client.drain()
    #expect(frames.last == .data(streamID: 1, data: [], endStream: true))
    #expect(client.connection.openStreamCount == 0)
}

// MARK: - Many streams

@Test func connection_manyConcurrentStreamsInterleaved() {
    let client = TestClient()
    let ids = (0..<100).map { UInt32(2 * $0 + 1) }
    var frames: [Frame] = []
    for id in ids { frames.append(client.headers(id, request(path: "/svc/M\(id)"))) }
    for round in 0..<3 {
        for id in ids { frames.append(.data(streamID: id, data: [UInt8(round), UInt8(truncatingIfNeeded: id)], endStream: round == 2)) }
    }
    let events = client.send(bytes: wireBytes(frames))
    #expect(client.connection.openStreamCount == 100)
    var bodies: [UInt32: [UInt8]] = [:]
    var ended: Set<UInt32> = []
    for event in events {
        if case let .data(id, bytes, endStream) = event {
            bodies[id, default: []] += bytes
            if endStream { ended.insert(id) }
        }
    }
    #expect(ended == Set(ids))
    for id in ids { #expect(bodies[id] == [0, UInt8(truncatingIfNeeded: id), 1, UInt8(truncatingIfNeeded: id), 2, UInt8(truncatingIfNeeded: id)]) }
    client.drain()
    for id in ids.reversed() {
        client.respond(streamID: id, fields: fields([(":status", "200")]), endStream: false)
        client.respondData(streamID: id, bytes: Array("M\(id)".utf8), endStream: false)
        client.respond(streamID: id, fields: fields([("grpc-status", "0")]), endStream: true)
    }
    let written = client.drain()
    for id in ids { #expect(dataBytes(in: written, stream: id) == Array("M\(id)".utf8)) }
    #expect(client.connection.openStreamCount == 0)
}

@Test func connection_refusesStreamsBeyondTheLimitAndKeepsHPACKInStep() {
    let client = TestClient(.make(maxConcurrentStreams: 2))
    #expect(client.send(client.headers(1)).count == 1)
    #expect(client.send(client.headers(3)).count == 1)
    // Stream 5 adds a new field to the client's table; it is refused, but decoded all the same.
    #expect(client.send(client.headers(5, request() + fields([("x-new", "value")]))).isEmpty)
    #expect(resets(in: client.drain()) == [5: .refusedStream])
    client.connection.resetStream(streamID: 1, errorCode: .cancel)
    #expect(resets(in: client.drain()) == [1: .cancel])
    // Stream 7 refers to the entry stream 5 added: it must decode to the same field.
    #expect(client.send(client.headers(7, request() + fields([("x-new", "value")])))
        == [.headers(streamID: 7, fields: request() + fields([("x-new", "value")]), endStream: false)])
    // Late DATA on the refused stream is ignored.
    #expect(client.send(.data(streamID: 5, data: [1], endStream: true)).isEmpty)
    #expect(!client.connection.isClosed)
}

// MARK: - Resets and shutdown

@Test func connection_peerResetIsReported() {
    let client = TestClient()
    client.send(client.headers(1))
    client.drain()
    client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: false)
    client.respondData(streamID: 1, bytes: [UInt8](repeating: 0, count: 100_000), endStream: true)
    #expect(client.send(.rstStream(streamID: 1, errorCode: HTTP2ErrorCode.cancel.rawValue))
        == [.streamReset(streamID: 1, errorCode: .cancel)])
    #expect(client.connection.openStreamCount == 0)
    // The queued response is dropped; the HEADERS already queued still go out.
    #expect(dataBytes(in: client.drain(), stream: 1).isEmpty)
    #expect(!client.connection.hasPendingOutput)
    // Frames the client sends after its own reset are its error.
    client.send(.data(streamID: 1, data: [1], endStream: false))
    #expect(goAway(in: client.drain())?.code == .streamClosed)
}

@Test func connection_unknownErrorCodesReadAsInternalError() {
    let client = TestClient()
    client.send(client.headers(1))
    #expect(client.send(.rstStream(streamID: 1, errorCode: 0xDEAD)) == [.streamReset(streamID: 1, errorCode: .internalError)])
}

@Test func connection_gracefulShutdownFinishesOpenStreamsAndIgnoresNewOnes() {
    let client = TestClient()
    client.send(client.headers(1), client.headers(3, endStream: true))
    client.drain()
    client.connection.beginGracefulShutdown()
    #expect(goAway(in: client.drain()).map { [$0.lastStreamID, $0.code.rawValue] } == [3, 0])
    #expect(!client.connection.canClose)
    // A stream opened after the GOAWAY is ignored (the client retries it elsewhere), yet decoded.
    #expect(client.send(client.headers(5, request() + fields([("x-late", "1")])), .data(streamID: 5, data: [1], endStream: true)).isEmpty)
    #expect(client.send(.data(streamID: 1, data: [7], endStream: true)) == [.data(streamID: 1, bytes: [7], endStream: true)])
    for id: UInt32 in [1, 3] { client.respond(streamID: id, fields: fields([(":status", "200")]), endStream: true) }
    #expect(!client.connection.canClose)
    client.drain()
    #expect(client.connection.canClose)
    #expect(!client.connection.isClosed)
    client.connection.beginGracefulShutdown()
    #expect(client.drain().isEmpty)
}

@Test func connection_reportsThePeersGoAway() {
    let client = TestClient()
    client.send(client.headers(1, endStream: true))
    #expect(client.send(.goAway(lastStreamID: 0, errorCode: 0, debugData: Array("bye".utf8))) == [.goAway(lastStreamID: 0, errorCode: .noError)])
    #expect(!client.connection.canClose)
    client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: true)
    client.drain()
    #expect(client.connection.canClose)
}

@Test func connection_answersPingsAndIgnoresUnknownFramesAndPriority() {
    let client = TestClient()
    let events = client.send(.ping(ack: false, opaqueData: 77), .ping(ack: true, opaqueData: 1),
                             .unknown(type: 0xEE, flags: 0, streamID: 3, payloadLength: 20),
                             .priority(streamID: 9, PriorityFields(exclusive: false, dependency: 1, weight: 1)))
    #expect(events.isEmpty)
    #expect(client.drain() == [.ping(ack: true, opaqueData: 77)])
    // PRIORITY on an idle stream does not open it.
    #expect(client.send(client.headers(9)).count == 1)
}

@Test func connection_sendingToStreamsThatAreNotOpenIsRefused() {
    let client = TestClient()
    #expect(!client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: true))
    client.send(client.headers(1))
    #expect(!client.respondData(streamID: 1, bytes: [1], endStream: false))  // headers first
    #expect(client.respond(streamID: 1, fields: fields([(":status", "200")]), endStream: false))
    #expect(!client.respond(streamID: 1, fields: fields([("grpc-status", "0")]), endStream: false))
    #expect(client.respondData(streamID: 1, bytes: [1], endStream: true))
    #expect(!client.respondData(streamID: 1, bytes: [2], endStream: true))
}
