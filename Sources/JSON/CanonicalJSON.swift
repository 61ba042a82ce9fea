/// The JSON Canonicalization Scheme (RFC 8785) for hashing and signing values.
///
/// Output: no insignificant whitespace; object members sorted by the UTF-16 code
/// units of their keys (§3.2.3); strings escaped minimally (§3.2.2.2); numbers in
/// ECMAScript form (§3.2.2.3). Deviation, deliberate: `.int` values are printed
/// exactly in decimal even beyond ±2^53, where strict JCS would first round them
/// to the nearest Double; values within ±2^53 are identical either way.
/// Non-finite `.number`s (which the parser never produces) print as `null`,
/// where JCS would call them an error.
public enum CanonicalJSON {
    /// Serializes a value canonically.
    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        append(value, to: &out)
        return out
    }

    /// Appends the canonical form of a value.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: JSONWriter.nullBytes)
        case .bool(let b): out.append(contentsOf: b ? JSONWriter.trueBytes : JSONWriter.falseBytes)
        case .int(let i): JSONWriter.appendInteger(i, to: &out)
        case .number(let d): NumberFormatting.appendECMAScript(d, to: &out)
        case .string(let s): JSONWriter.appendQuoted(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let sorted = object.members.sorted { utf16Precedes($0.key, $1.key) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendQuoted(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether `a` sorts before `b` by UTF-16 code units, computed on UTF-8 bytes.
    ///
    /// UTF-8 byte order equals scalar order, and UTF-16 order differs from scalar
    /// order in one case only: a supplementary scalar (UTF-8 lead F0–F4, UTF-16 lead
    /// surrogate D800–DBFF) sorts before U+E000–U+FFFF (lead EE or EF). Because two
    /// strings agree byte-for-byte up to their first difference, the differing bytes
    /// sit at the same place in the same scalar, so only the lead bytes need the fix.
    static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator(), right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?):
                if x == y { continue }
                if x >= 0xF0 && (y == 0xEE || y == 0xEF) { return true }
                if y >= 0xF0 && (x == 0xEE || x == 0xEF) { return false }
                return x < y
            }
        }
    }
}
