import Compression
import Testing
import TestSupport

// Seeded mutations of valid streams: whatever the bytes, each decoder returns or throws, never
// returns more than the limit, and agrees with itself when only the limit changes.

/// Small valid streams, in all three wrappings, that mutations start from.
private let corpus: [[UInt8]] = {
    var streams = [[UInt8]]()
    for stream in pythonStreams where [.oneByte, .shortJSON].contains(stream.input) && [0, 1, 6, 9].contains(stream.level) {
        streams += [stream.gzip, stream.zlib, stream.raw]
    }
    let repetitive = pythonStreams.first { $0.input == .repetitive && $0.level == 9 }!
    streams += [repetitive.gzip, repetitive.raw]
    streams += pythonVariants.filter { $0.input == .shortJSON }.map(\.raw)
    streams += [decodeBase64(headerFieldsGzip), decodeBase64(twoMemberGzip), zeroBomb(zeroByteCount: 4)]
    return streams
}()

/// Applies one to four random edits: bit flips, overwrites, inserts, deletions, duplications, truncation.
private func mutate(_ input: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &random) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<6, using: &random) {
        case 0 where !bytes.isEmpty:
            bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
        case 1 where !bytes.isEmpty:
            bytes[position] = UInt8.random(in: 0...255, using: &random)
        case 2:
            bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
        case 3 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...8, using: &random))
            bytes.removeSubrange(position..<end)
        case 4 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...32, using: &random))
            bytes.insert(contentsOf: Array(bytes[position..<end]), at: end)
        case 5:
            bytes.removeSubrange(position..<bytes.count)
        default:
            break
        }
    }
    return bytes
}

/// Decodes `input` and checks what must hold whatever it is.
private func check(_ input: [UInt8], _ format: Format, limit: Int) {
    let result = outcome { () throws(InflateError) in try format.decode(input, maxOutputBytes: limit) }
    switch result {
    case .success(let output):
        #expect(output.count <= limit, "\(format) \(input)")
        // The limit is exact: the output's own size is enough, one byte less is not.
        #expect(outcome { () throws(InflateError) in try format.decode(input, maxOutputBytes: output.count) } == result, "\(format) \(input)")
        if !output.isEmpty {
            #expect(outcome { () throws(InflateError) in try format.decode(input, maxOutputBytes: output.count - 1) } == .failure(.outputTooLarge), "\(format) \(input)")
        }
    case .failure(.outputTooLarge):
        break
    case .failure(let error):
        // A failure that is not about the limit happens with any larger limit too: growing the
        // output in other steps changes nothing else.
        #expect(outcome { () throws(InflateError) in try format.decode(input, maxOutputBytes: 8 * limit) } == .failure(error), "\(format) \(input)")
    }
}

@Test func mutatedStreams_returnOrThrowWithinTheLimit() {
    var random = SeededGenerator(seed: 0x1951)
    for _ in 0..<3000 {
        let input = mutate(corpus.randomElement(using: &random)!, using: &random)
        for format in Format.allCases {
            check(input, format, limit: 4096)
        }
    }
}

@Test func randomBytes_returnOrThrowWithinTheLimit() {
    // Random bytes mostly fail in the first block header; behind a valid gzip or zlib header they
    // reach the DEFLATE decoder.
    var random = SeededGenerator(seed: 0x1952)
    let headers: [[UInt8]] = [[], [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255], [0x78, 0x9C]]
    for _ in 0..<1000 {
        let count = Int.random(in: 0...64, using: &random)
        let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
        for (format, header) in zip([Format.raw, .gzip, .zlib], headers) {
            check(header + body, format, limit: 1024)
        }
    }
}
