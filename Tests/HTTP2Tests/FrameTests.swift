@testable import HTTP2
import Testing

/// Reads frames from `bytes` fed in pieces that end at `cuts`; stops at the first error.
func readFrames(_ bytes: [UInt8], cuts: [Int], maxFrameSize: Int = 16_384) -> (frames: [Frame], error: FrameError?, buffered: Int) {
    var reader = FrameReader(maxFrameSize: maxFrameSize)
    var frames: [Frame] = []
    var start = 0
    for cut in cuts + [bytes.count] where cut >= start {
        let piece = Array(bytes[start..<cut])
        start = cut
        var offset = 0
        let failure: FrameError? = piece.withUnsafeBytes { raw -> FrameError? in
            while offset < raw.count {
                do throws(FrameError) {
                    guard let frame = try reader.next(raw, offset: &offset) else { return nil }
                    frames.append(frame)
                } catch {
                    return error
                }
            }
            return nil
        }
        if let failure { return (frames, failure, reader.bufferedCount) }
    }
    return (frames, nil, reader.bufferedCount)
}

/// The error parsing one frame's bytes gives, or nil when it parses.
func frameError(_ bytes: [UInt8]) -> FrameError? {
    readFrames(bytes, cuts: []).error
}

let priorityFields = PriorityFields(exclusive: true, dependency: 3, weight: 200)

/// One frame of every type, flags and padding in many combinations.
let everyFrame: [Frame] = [
    .data(streamID: 1, data: Array("hello".utf8), endStream: false),
    .data(streamID: 1, data: [], endStream: true),
    .data(streamID: 3, data: Array("padded".utf8), endStream: true, padding: 7),
    .data(streamID: 3, data: [], endStream: false, padding: 0),
    .headers(streamID: 1, fragment: [0x82, 0x86, 0x84], endStream: false, endHeaders: true),
    .headers(streamID: 5, fragment: [0x82], endStream: true, endHeaders: false, priority: priorityFields),
    .headers(streamID: 7, fragment: [0x82, 0x87], endStream: true, endHeaders: true, priority: priorityFields, padding: 3),
    .headers(streamID: 9, fragment: [], endStream: false, endHeaders: true, padding: 255),
    .priority(streamID: 11, PriorityFields(exclusive: false, dependency: 0, weight: 15)),
    .rstStream(streamID: 1, errorCode: 8),
    .settings(ack: false, [Setting(identifier: 1, value: 4_096), Setting(identifier: 4, value: 1 << 20), Setting(identifier: 0x99, value: 7)]),
    .settings(ack: false, []),
    .settings(ack: true, []),
    .pushPromise(streamID: 1, promisedStreamID: 2, fragment: [0x82], endHeaders: true, padding: 2),
    .ping(ack: false, opaqueData: 0x0102_0304_0506_0708),
    .ping(ack: true, opaqueData: 0),
    .goAway(lastStreamID: 7, errorCode: 11, debugData: Array("calm".utf8)),
    .goAway(lastStreamID: 0, errorCode: 0, debugData: []),
    .windowUpdate(streamID: 0, increment: 1),
    .windowUpdate(streamID: 5, increment: 0x7FFF_FFFF),
    .continuation(streamID: 5, fragment: [0x84], endHeaders: true),
    .continuation(streamID: 5, fragment: [], endHeaders: false),
    .unknown(type: 0xFA, flags: 0xFF, streamID: 9, payloadLength: 3),
]

@Test(arguments: everyFrame)
func frame_roundTripsThroughTheWireFormat(frame: Frame) {
    let bytes = wireBytes([frame])
    let read = readFrames(bytes, cuts: [])
    #expect(read.error == nil)
    #expect(read.frames == [frame])
    #expect(read.buffered == 0)
}

@Test func frame_headerLayoutFollowsRFC9113Section4_1() {
    let bytes = wireBytes([.data(streamID: 0x0102_0304, data: [0xAA, 0xBB], endStream: true, padding: 1)])
    #expect(bytes == [0x00, 0x00, 0x04, 0x00, 0x09, 0x01, 0x02, 0x03, 0x04, 0x01, 0xAA, 0xBB, 0x00])
}

@Test func frameReader_splitAtEveryPointGivesTheSameFrames() {
    let bytes = wireBytes(everyFrame)
    let expected = readFrames(bytes, cuts: [])
    #expect(expected.frames == everyFrame)
    for cut in 0...bytes.count {
        let split = readFrames(bytes, cuts: [cut])
        #expect(split.frames == everyFrame, "cut at \(cut)")
        #expect(split.buffered == 0)
    }
}

@Test func frameReader_byteAtATimeGivesTheSameFrames() {
    let bytes = wireBytes(everyFrame)
    let read = readFrames(bytes, cuts: Array(0...bytes.count))
    #expect(read.frames == everyFrame)
    #expect(read.error == nil)
}

@Test func frameReader_keepsAPartialFrameForTheNextCall() {
    let bytes = wireBytes([.ping(ack: false, opaqueData: 42)])
    let read = readFrames(Array(bytes[0..<12]), cuts: [5])
    #expect(read.frames.isEmpty)
    #expect(read.buffered == 12)
}

@Test func frameReader_refusesAnOversizeFrameFromItsHeaderAlone() {
    // Only the 9-octet header arrives: the 16,385-octet payload is never waited for.
    let header: [UInt8] = [0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]
    for cuts in [[], [3], Array(0...9)] {
        let read = readFrames(header, cuts: cuts)
        #expect(read.error?.code == .frameSizeError)
        #expect(read.buffered <= 9)
    }
    // Exactly the limit is fine.
    let largest = wireBytes([.data(streamID: 1, data: [UInt8](repeating: 7, count: 16_384), endStream: false)])
    #expect(readFrames(largest, cuts: [100]).frames.count == 1)
    #expect(readFrames(largest, cuts: [], maxFrameSize: 16_383).error?.code == .frameSizeError)
}

@Test func frame_paddingMustLeaveRoomForItsOwnLength() {
    // DATA, PADDED, length 1: pad length 0 is fine, 1 reaches past the payload.
    #expect(frameError([0, 0, 1, 0x0, 0x08, 0, 0, 0, 1, 0x00]) == nil)
    #expect(frameError([0, 0, 1, 0x0, 0x08, 0, 0, 0, 1, 0x01])?.code == .protocolError)
    #expect(frameError([0, 0, 0, 0x0, 0x08, 0, 0, 0, 1])?.code == .frameSizeError)
    // HEADERS, PADDED and PRIORITY: 1 + 5 octets before the fragment, padding of 3 needs 9.
    #expect(frameError([0, 0, 9, 0x1, 0x2C, 0, 0, 0, 1, 3, 0, 0, 0, 0, 16, 0, 0, 0]) == nil)
    #expect(frameError([0, 0, 8, 0x1, 0x2C, 0, 0, 0, 1, 3, 0, 0, 0, 0, 16, 0, 0])?.code == .frameSizeError)
    #expect(frameError([0, 0, 3, 0x1, 0x0C, 0, 0, 0, 1, 3, 0, 0])?.code == .protocolError)
    #expect(frameError([0, 0, 4, 0x1, 0x24, 0, 0, 0, 1, 0, 0, 0, 0])?.code == .frameSizeError)
}

@Test func frame_streamZeroRules() {
    for type: UInt8 in [0x0, 0x1, 0x2, 0x3, 0x5, 0x9] {
        let length = type == 0x2 ? 5 : type == 0x3 ? 4 : type == 0x5 ? 4 : 0
        let bytes = [0, 0, UInt8(length), type, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: length)
        #expect(frameError(bytes)?.code == .protocolError, "type \(type) on stream 0")
    }
    for type: UInt8 in [0x4, 0x6, 0x7] {
        let length = type == 0x4 ? 0 : 8
        let bytes = [0, 0, UInt8(length), type, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: length)
        #expect(frameError(bytes)?.code == .protocolError, "type \(type) on stream 1")
    }
}

@Test func frame_fixedLengthsAreChecked() {
    #expect(frameError([0, 0, 3, 0x3, 0, 0, 0, 0, 1, 0, 0, 0])?.code == .frameSizeError)  // RST_STREAM
    #expect(frameError([0, 0, 5, 0x8, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0])?.code == .frameSizeError)  // WINDOW_UPDATE
    #expect(frameError([0, 0, 7, 0x6, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 7))?.code == .frameSizeError)  // PING
    #expect(frameError([0, 0, 7, 0x4, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 7))?.code == .frameSizeError)  // SETTINGS
    #expect(frameError([0, 0, 6, 0x4, 1, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 6))?.code == .frameSizeError)  // SETTINGS ACK
    #expect(frameError([0, 0, 7, 0x7, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 7))?.code == .frameSizeError)  // GOAWAY
    // PRIORITY of the wrong length is a stream error.
    let priority = frameError([0, 0, 4, 0x2, 0, 0, 0, 0, 3, 0, 0, 0, 0])
    #expect(priority?.code == .frameSizeError)
    #expect(priority?.isStreamError == true)
    #expect(priority?.streamID == 3)
}

@Test func frame_reservedBitsAreIgnored() {
    // The reserved bit of the stream id and of a WINDOW_UPDATE increment.
    let read = readFrames([0, 0, 4, 0x8, 0, 0x80, 0, 0, 1, 0x80, 0, 0, 5], cuts: [])
    #expect(read.frames == [.windowUpdate(streamID: 1, increment: 5)])
}
