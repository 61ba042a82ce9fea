@testable import HTTP2
import Testing
import TestSupport

// Seeded mutations of valid exchanges: whatever the bytes, the connection must not crash or
// hang, must report events in an order that makes sense, and must report the same whatever the
// split of the input.

/// Client byte streams after the preface, each a valid exchange.
func exchangeCorpus() -> [[UInt8]] {
    var corpus: [[UInt8]] = []
    // A fresh encoder per exchange: each starts on a new connection.
    var client = TestClient(handshake: false)
    let settings = wireBytes([.settings(ack: false, [Setting(identifier: Setting.initialWindowSize, value: 100),
                                                    Setting(identifier: Setting.maxFrameSize, value: 16_384)])])
    corpus.append(clientPreface + settings + fullRequestWire(client))
    client = TestClient(handshake: false)
    corpus.append(clientPreface + settings + wireBytes([
        client.headers(1, request(method: "GET", path: "/a"), endStream: true),
        client.headers(3, request(extra: [("content-length", "3")])),
        .data(streamID: 3, data: [1, 2, 3], endStream: true, padding: 2),
        .ping(ack: false, opaqueData: 9),
        .windowUpdate(streamID: 0, increment: 1_000),
        .windowUpdate(streamID: 1, increment: 10),
        .priority(streamID: 5, PriorityFields(exclusive: true, dependency: 1, weight: 3)),
        client.headers(5),
        .rstStream(streamID: 5, errorCode: 8),
        .settings(ack: true, []),
        .goAway(lastStreamID: 0, errorCode: 0, debugData: []),
    ]))
    client = TestClient(handshake: false)
    let block = client.block(request() + fields([("x-long", String(repeating: "z", count: 300))]))
    corpus.append(clientPreface + settings + wireBytes([
        .headers(streamID: 7, fragment: Array(block[0..<10]), endStream: false, endHeaders: false, priority: priorityFields, padding: 5),
        .continuation(streamID: 7, fragment: Array(block[10..<50]), endHeaders: false),
        .continuation(streamID: 7, fragment: Array(block[50...]), endHeaders: true),
        .data(streamID: 7, data: Array(0..<90), endStream: false),
        client.headers(7, fields([("grpc-status-details-bin", "AAAA")]), endStream: true),
        .unknown(type: 0x20, flags: 1, streamID: 7, payloadLength: 4),
    ]))
    return corpus
}

/// Frames and fragments that steer mutations towards the connection's decisions.
let frameInserts: [[UInt8]] = [
    wireBytes([.settings(ack: false, [Setting(identifier: Setting.initialWindowSize, value: 0)])]),
    wireBytes([.settings(ack: false, [Setting(identifier: Setting.headerTableSize, value: 0)])]),
    wireBytes([.settings(ack: true, [])]),
    wireBytes([.windowUpdate(streamID: 1, increment: 0x7FFF_FFFF)]),
    wireBytes([.windowUpdate(streamID: 0, increment: 0)]),
    wireBytes([.rstStream(streamID: 1, errorCode: 8)]),
    wireBytes([.rstStream(streamID: 3, errorCode: 0)]),
    wireBytes([.data(streamID: 1, data: [], endStream: false)]),
    wireBytes([.data(streamID: 3, data: [9], endStream: true)]),
    wireBytes([.headers(streamID: 9, fragment: [0x83, 0x86, 0x84], endStream: true, endHeaders: true)]),
    wireBytes([.headers(streamID: 11, fragment: [0x83, 0x86], endStream: false, endHeaders: false)]),
    wireBytes([.continuation(streamID: 11, fragment: [0x84], endHeaders: true)]),
    wireBytes([.ping(ack: false, opaqueData: 1)]),
    wireBytes([.priority(streamID: 1, PriorityFields(exclusive: false, dependency: 1, weight: 1))]),
    [0x00, 0x00, 0x00], [0x00, 0x40, 0x00], [0xFF, 0xFF, 0xFF], [0x3F, 0xE1, 0x1F], [0xBE], [0x7F, 0x80], [0x20],
]

/// Offsets where frames start, read from the frame headers after the preface, as far as they go.
func frameBoundaries(_ bytes: [UInt8]) -> [Int] {
    var boundaries: [Int] = []
    var offset = 24
    while offset + 9 <= bytes.count {
        boundaries.append(offset)
        offset += 9 + (Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]))
    }
    if offset <= bytes.count { boundaries.append(offset) }
    return boundaries
}

func mutateExchange(_ input: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &random) {
        // Leave the preface alone most of the time, or nearly every input stops there.
        let start = Int.random(in: 0..<10, using: &random) == 0 ? 0 : min(24, bytes.count)
        let position = bytes.count > start ? Int.random(in: start..<bytes.count, using: &random) : bytes.count
        switch Int.random(in: 0..<7, using: &random) {
        case 0 where position < bytes.count:
            bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1 where position < bytes.count:
            bytes[position] = UInt8.random(in: 0...255, using: &random)
        case 2:
            // Whole frames go between frames, mostly, so that they are read as frames.
            let boundary = frameBoundaries(bytes).randomElement(using: &random) ?? position
            bytes.insert(contentsOf: frameInserts.randomElement(using: &random)!, at: Bool.random(using: &random) ? boundary : position)
        case 3 where position < bytes.count:
            bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...9, using: &random)))
        case 4 where position < bytes.count:
            let piece = Array(bytes[position..<min(bytes.count, position + Int.random(in: 1...40, using: &random))])
            bytes.insert(contentsOf: piece, at: position)
        case 5:
            bytes.removeSubrange(position..<bytes.count)
        case 6:
            // A burst of one frame: floods and repeated resets.
            let insert = frameInserts.randomElement(using: &random)!
            let boundary = frameBoundaries(bytes).randomElement(using: &random) ?? position
            for _ in 0..<Int.random(in: 2...12, using: &random) { bytes.insert(contentsOf: insert, at: boundary) }
        default:
            break
        }
    }
    return bytes
}

/// Checks that events make sense stream by stream; returns false at the first that does not.
struct EventChecker {
    enum Phase { case open, ended, gone }
    var phases: [UInt32: Phase] = [:]
    var problems: [String] = []

    mutating func check(_ events: [HTTP2Event]) {
        for event in events {
            switch event {
            case let .headers(id, fields, endStream):
                if id % 2 == 0 || phases[id] != nil { problems.append("headers on \(id) in \(String(describing: phases[id]))") }
                if fields.isEmpty || fields.contains(where: { $0.name != $0.name.lowercased() }) { problems.append("bad fields \(fields)") }
                phases[id] = endStream ? .ended : .open
            case let .data(id, _, endStream):
                if phases[id] != .open { problems.append("data on \(id) in \(String(describing: phases[id]))") }
                if endStream { phases[id] = .ended }
            case let .trailers(id, _):
                if phases[id] != .open { problems.append("trailers on \(id) in \(String(describing: phases[id]))") }
                phases[id] = .ended
            case let .streamReset(id, _):
                if phases[id] == nil || phases[id] == .gone { problems.append("reset of \(id) in \(String(describing: phases[id]))") }
                phases[id] = .gone
            case .goAway:
                break
            }
        }
    }
}

/// Feeds `bytes` in pieces ending at `cuts`, and returns the events, whether the connection
/// closed, and everything it wrote, drained once at the end.
func run(_ bytes: [UInt8], cuts: [Int], configuration: HTTP2Configuration) -> (events: [HTTP2Event], closed: Bool, output: [Frame]) {
    let client = TestClient(configuration, handshake: false)
    var events: [HTTP2Event] = []
    var start = 0
    for cut in cuts + [bytes.count] where cut >= start {
        let wasClosed = client.connection.isClosed
        let piece = client.send(bytes: Array(bytes[start..<cut]))
        // Nothing is reported once the connection has closed.
        #expect(!wasClosed || piece.isEmpty)
        events += piece
        start = cut
    }
    return (events, client.connection.isClosed, client.drain())
}

@Test func connection_mutationCorpusIsValid() {
    for bytes in exchangeCorpus() {
        let result = run(bytes, cuts: [], configuration: HTTP2Configuration())
        #expect(!result.closed, "\(result.output)")
        var checker = EventChecker()
        checker.check(result.events)
        #expect(checker.problems.isEmpty)
        #expect(result.events.count >= 3)
    }
}

@Test(arguments: [UInt64(1), 2, 3, 4])
func connection_survivesMutatedExchanges(seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    let corpus = exchangeCorpus()
    let tight = HTTP2Configuration.make(maxConcurrentStreams: 2, initialWindowSize: 50, maxHeaderListSize: 200,
                                        maxQueuedControlFrames: 5, maxResetsPerWindow: 3, maxContinuationFrames: 2, maxEmptyDataFrames: 2)
    var outcomes: [String: Int] = [:]
    for round in 0..<600 {
        let configuration = round % 2 == 0 ? HTTP2Configuration() : tight
        let bytes = mutateExchange(corpus.randomElement(using: &random)!, using: &random)
        let once = run(bytes, cuts: [], configuration: configuration)
        var checker = EventChecker()
        checker.check(once.events)
        #expect(checker.problems.isEmpty, "\(checker.problems) for \(bytes)")
        if once.closed {
            if case .goAway? = once.output.last {} else { Issue.record("closed without GOAWAY last: \(bytes)") }
            outcomes[goAway(in: once.output).map { "\($0.code)" } ?? "none", default: 0] += 1
        } else {
            outcomes["open", default: 0] += 1
        }
        // The same bytes in other pieces give the same events, state and output.
        let cuts = (0..<Int.random(in: 1...5, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }.sorted()
        let split = run(bytes, cuts: round % 100 == 0 ? Array(0...bytes.count) : cuts, configuration: configuration)
        #expect(joinData(split.events) == joinData(once.events), "cuts \(cuts) of \(bytes)")
        #expect(split.closed == once.closed && split.output == once.output, "cuts \(cuts) of \(bytes)")
    }
    // The mutations must reach both sides, or the test proves little.
    #expect(outcomes["open", default: 0] > 100)
    #expect(outcomes.count >= 6, "\(outcomes)")
}

@Test(arguments: [UInt64(11), 12])
func connection_survivesMutatedExchangesWhileResponding(seed: UInt64) {
    // Responses interleaved with the peer's bytes, as a server does: invariants only.
    var random = SeededGenerator(seed: seed)
    let corpus = exchangeCorpus()
    for _ in 0..<400 {
        let bytes = mutateExchange(corpus.randomElement(using: &random)!, using: &random)
        let client = TestClient(.make(maxConcurrentStreams: 3, initialWindowSize: 100), handshake: false)
        var checker = EventChecker()
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int.random(in: 1...64, using: &random))
            let events = client.send(bytes: Array(bytes[start..<end]))
            start = end
            checker.check(events)
            if client.connection.isClosed { #expect(client.send(bytes: [0]).isEmpty) }
            for event in events {
                guard case let .headers(id, _, _) = event else { continue }
                client.respond(streamID: id, fields: fields([(":status", "200")]), endStream: false)
                client.respondData(streamID: id, bytes: [UInt8](repeating: 1, count: Int.random(in: 0...300, using: &random)), endStream: Bool.random(using: &random))
                if Bool.random(using: &random) { client.respond(streamID: id, fields: fields([("grpc-status", "0")]), endStream: true) }
            }
            #expect(client.connection.openStreamCount <= 3)
            client.drain()
        }
        #expect(checker.problems.isEmpty, "\(checker.problems) for \(bytes)")
    }
}
