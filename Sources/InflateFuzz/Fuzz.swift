import Compression

// libFuzzer target for the gzip, zlib and raw DEFLATE decoders.
//
// Every input goes to all three decoders. Whatever the bytes, a decoder must return at most its
// limit or throw; the limit must be exact (a result fits a limit of its own size and not one byte
// less); a failure that is not about the limit must not change with a larger limit; and a raw
// stream that decodes must decode the same inside a zlib or gzip wrapper. Any crash or broken
// rule stops the fuzzer with the input that caused it.
//
//     swift build -c debug --scratch-path .build/fuzz --product InflateFuzz --sanitize=fuzzer \
//         -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
//     mkdir -p .build/inflate-corpus
//     .build/fuzz/debug/InflateFuzz -max_total_time=60 .build/inflate-corpus Sources/InflateFuzz/seeds

private typealias Decoder = @Sendable (UnsafeRawBufferPointer, Int) throws(InflateError) -> [UInt8]

private let decoders: [(name: String, decode: Decoder)] = [
    ("gzip", { input, limit throws(InflateError) in try Inflate.gunzip(input, maxOutputBytes: limit) }),
    ("zlib", { input, limit throws(InflateError) in try Inflate.zlibInflate(input, maxOutputBytes: limit) }),
    ("raw", { input, limit throws(InflateError) in try Inflate.rawInflate(input, maxOutputBytes: limit) }),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // The input's length picks the limit, so that one corpus reaches the limit often and rarely.
    let limit = size % 2 == 0 ? 1 << 16 : 1000
    for (name, decode) in decoders {
        let result = check(input, name: name, limit: limit, decode)
        if name == "raw", case .success(let output) = result {
            checkWrapped(input, output: output, limit: limit)
        }
    }
    return 0
}

private func decodeOnce(_ input: UnsafeRawBufferPointer, limit: Int, _ decode: Decoder) -> Result<[UInt8], InflateError> {
    Result { () throws(InflateError) in try decode(input, limit) }
}

/// Checks the rules that hold for any input, and returns the decoder's result.
@discardableResult
private func check(_ input: UnsafeRawBufferPointer, name: String, limit: Int, _ decode: Decoder) -> Result<[UInt8], InflateError> {
    let result = decodeOnce(input, limit: limit, decode)
    switch result {
    case .success(let output):
        precondition(output.count <= limit, "\(name): \(output.count) bytes over a limit of \(limit)")
        precondition(decodeOnce(input, limit: output.count, decode) == result, "\(name): failed with a limit of its own size")
        if !output.isEmpty {
            let tighter = decodeOnce(input, limit: output.count - 1, decode)
            precondition(tighter == .failure(.outputTooLarge), "\(name): one byte under its size gave \(tighter)")
        }
    case .failure(.outputTooLarge):
        break
    case .failure(let error):
        let wider = decodeOnce(input, limit: 8 * limit, decode)
        precondition(wider == result, "\(name): \(error) with a limit of \(limit), \(wider) with \(8 * limit)")
    }
    return result
}

/// A raw stream that decodes must decode the same as the body of a zlib stream and a gzip member.
private func checkWrapped(_ raw: UnsafeRawBufferPointer, output: [UInt8], limit: Int) {
    let adler = Checksum.adler32(output)
    let zlib = [0x78, 0x9C] + Array(raw) + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: adler >> $0) }
    let crc = Checksum.crc32(output)
    let size = UInt32(truncatingIfNeeded: output.count)
    let gzip = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + Array(raw)
        + [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: crc >> $0) } + [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: size >> $0) }
    for (name, wrapped, decode) in [("zlib", zlib, decoders[1].decode), ("gzip", gzip, decoders[0].decode)] {
        let result = wrapped.withUnsafeBytes { decodeOnce($0, limit: limit, decode) }
        precondition(result == .success(output), "raw stream in \(name) gave \(result)")
    }
}
