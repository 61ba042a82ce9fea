import Bytes
import HTTP2

// libFuzzer target for the HTTP/2 server connection and the HPACK decoder.
//
// The first byte picks the mode. Connection: the rest is what a client sends, fed at once and
// in pieces whose size the second byte picks; both must report the same events, state and
// output, events must come in an order a caller can follow, and a third run answers every request
// while bytes arrive. HPACK: the rest is one header block, decoded with a large and a small
// header-list limit, which must agree on validity and on the table; a block that decodes is
// encoded again and must decode to the same fields.

/// Small limits, so that short inputs reach every limit too.
private let tightConfiguration: HTTP2Configuration = {
    var configuration = HTTP2Configuration()
    configuration.maxConcurrentStreams = 2
    configuration.initialWindowSize = 64
    configuration.maxHeaderListSize = 200
    configuration.headerTableSize = 256
    configuration.maxQueuedControlFrames = 4
    configuration.maxResetsPerWindow = 3
    configuration.maxContinuationFrames = 2
    configuration.maxEmptyDataFrames = 2
    configuration.maxClosedStreamsRemembered = 4
    return configuration
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let rest = UnsafeRawBufferPointer(rebasing: input[2...])
    if input[0] & 1 == 0 {
        let configuration = input[0] & 2 == 0 ? HTTP2Configuration() : tightConfiguration
        checkConnection(rest, configuration: configuration, step: 1 + Int(input[1] % 64))
    } else {
        checkHPACK(rest)
    }
    return 0
}

// MARK: - Connection

private struct Run: Equatable {
    var events: [HTTP2Event] = []
    var closed = false
    var output: [UInt8] = []
}

private func checkConnection(_ bytes: UnsafeRawBufferPointer, configuration: HTTP2Configuration, step: Int) {
    let once = feed(bytes, configuration: configuration, step: bytes.count)
    let pieces = feed(bytes, configuration: configuration, step: step)
    precondition(joined(pieces.events) == joined(once.events), "pieces of \(step) gave other events")
    precondition(pieces.closed == once.closed && pieces.output == once.output, "pieces of \(step) gave another state or output")
    answering(bytes, configuration: configuration, step: step)
}

/// Feeds `bytes` in pieces of `step`, draining once at the end.
private func feed(_ bytes: UnsafeRawBufferPointer, configuration: HTTP2Configuration, step: Int) -> Run {
    var connection = HTTP2ServerConnection(configuration: configuration)
    var checker = EventChecker()
    var run = Run()
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + step)
        let wasClosed = connection.isClosed
        let events = connection.receive(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), nowNanoseconds: UInt64(start))
        precondition(!wasClosed || events.isEmpty, "events after the connection closed")
        checker.check(events, maxOpen: configuration.maxConcurrentStreams, open: connection.openStreamCount)
        run.events += events
        start = end
    }
    run.closed = connection.isClosed
    let buffer = ByteBuffer(capacity: 256)
    connection.drainOutput(into: buffer)
    run.output = Array(buffer.readable)
    if run.closed {
        precondition(connection.canClose, "closed but not ready to close")
        precondition(!connection.hasPendingOutput, "output left after a drain")
    }
    return run
}

/// Feeds `bytes` in pieces and answers each request at once, with data and trailers.
private func answering(_ bytes: UnsafeRawBufferPointer, configuration: HTTP2Configuration, step: Int) {
    var connection = HTTP2ServerConnection(configuration: configuration)
    var checker = EventChecker()
    let buffer = ByteBuffer(capacity: 256)
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + step)
        let events = connection.receive(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), nowNanoseconds: UInt64(start))
        checker.check(events, maxOpen: configuration.maxConcurrentStreams, open: connection.openStreamCount)
        for event in events {
            guard case let .headers(id, _, _) = event else { continue }
            connection.sendHeaders(streamID: id, fields: [HeaderField(name: ":status", value: "200")], endStream: false)
            connection.sendData(streamID: id, bytes: [UInt8](repeating: 0x41, count: (end - start) * 7), endStream: false)
            connection.sendHeaders(streamID: id, fields: [HeaderField(name: "grpc-status", value: "0")], endStream: true)
        }
        connection.drainOutput(into: buffer)
        buffer.clear()
        start = end
    }
    precondition(connection.openStreamCount <= configuration.maxConcurrentStreams)
}

/// Data events of one stream joined, as a single call would report them.
private func joined(_ events: [HTTP2Event]) -> [HTTP2Event] {
    var result: [HTTP2Event] = []
    for event in events {
        if case let .data(id, bytes, endStream) = event, case let .data(lastID, lastBytes, false)? = result.last, lastID == id {
            result[result.count - 1] = .data(streamID: id, bytes: lastBytes + bytes, endStream: endStream)
        } else {
            result.append(event)
        }
    }
    return result
}

/// Checks that events follow each stream's life: headers, data, at most one trailers, then
/// nothing; a reset only after headers.
private struct EventChecker {
    enum Phase { case open, ended, gone }
    var phases: [UInt32: Phase] = [:]

    mutating func check(_ events: [HTTP2Event], maxOpen: Int, open: Int) {
        precondition(open <= maxOpen, "\(open) streams open, limit \(maxOpen)")
        for event in events {
            switch event {
            case let .headers(id, fields, endStream):
                precondition(id % 2 == 1 && phases[id] == nil, "headers on stream \(id) again")
                precondition(fields.allSatisfy { $0.name == $0.name.lowercased() && !$0.name.isEmpty }, "field names not lowercase")
                phases[id] = endStream ? .ended : .open
            case let .data(id, _, endStream):
                precondition(phases[id] == .open, "data on stream \(id) in \(String(describing: phases[id]))")
                if endStream { phases[id] = .ended }
            case let .trailers(id, _):
                precondition(phases[id] == .open, "trailers on stream \(id) in \(String(describing: phases[id]))")
                phases[id] = .ended
            case let .streamReset(id, _):
                precondition(phases[id] == .open || phases[id] == .ended, "reset of stream \(id) in \(String(describing: phases[id]))")
                phases[id] = .gone
            case .goAway:
                break
            }
        }
    }
}

// MARK: - HPACK

private func checkHPACK(_ block: UnsafeRawBufferPointer) {
    var large = HPACKDecoder(maxTableSize: 4_096)
    var small = HPACKDecoder(maxTableSize: 4_096)
    let largeResult = Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try large.decode(block, headerListSizeMax: 1 << 20) }
    let smallResult = Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try small.decode(block, headerListSizeMax: 100) }
    switch (largeResult, smallResult) {
    case let (.failure(first), .failure(second)):
        precondition(first == second, "the limit changed the error: \(first) and \(second)")
    case let (.success(full), .success(limited)):
        precondition(full.headerListSize == limited.headerListSize, "the limit changed the list size")
        precondition(limited.fields.count <= full.fields.count && Array(full.fields.prefix(limited.fields.count)) == limited.fields)
        precondition(limited.isOverLimit == (full.headerListSize > 100))
        precondition(large.tableSize == small.tableSize && large.tableEntryCount == small.tableEntryCount, "the limit changed the table")
        precondition(large.tableSize <= large.tableMaxSize)
        roundTrip(full.fields)
    default:
        preconditionFailure("the limit changed whether the block decodes")
    }
}

/// Encodes fields again, both ways, and decodes them.
private func roundTrip(_ fields: [HeaderField]) {
    for indexing in [false, true] {
        var encoder = HPACKEncoder(maxTableSize: 4_096, huffman: .whenShorter, indexing: indexing)
        var decoder = HPACKDecoder(maxTableSize: 4_096)
        var block: [UInt8] = []
        encoder.encode(fields, into: &block)
        let decoded = block.withUnsafeBytes { raw in
            Result { () throws(HPACKError) -> HPACKDecoder.DecodedBlock in try decoder.decode(raw, headerListSizeMax: 1 << 24) }
        }
        guard case .success(let again) = decoded else { preconditionFailure("our own block does not decode: \(decoded)") }
        precondition(again.fields == fields, "fields changed on the way round")
        precondition(decoder.tableSize == encoder.tableSize)
    }
}
