@testable import HTTP2
import Testing
import TestSupport

/// Bytes from hex digits, ignoring spaces and line breaks (as RFC 7541 Appendix C prints them).
func hex(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.compactMap { Int(String($0), radix: 16) }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(digits[$0] << 4 | digits[$0 + 1]) }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

extension HeaderField {
    init(_ name: String, _ value: String) { self.init(name: name, value: value) }
}

/// Field lists written as `[("name", "value")]`.
func fields(_ pairs: [(String, String)]) -> [HeaderField] { pairs.map { HeaderField($0.0, $0.1) } }


/// Frames serialised one after another.
func wireBytes(_ frames: [Frame]) -> [UInt8] {
    var bytes: [UInt8] = []
    for frame in frames { frame.write(into: &bytes) }
    return bytes
}
