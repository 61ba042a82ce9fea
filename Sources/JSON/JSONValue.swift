/// A parsed or constructed JSON value (RFC 8259 §3).
///
/// Numbers are split so integers stay exact: a token with no fraction or exponent
/// that fits in `Int64` is `.int`; every other number is `.number`.
///
/// Equality follows the JSON data model rather than Swift's `String` rules:
/// strings (and object keys) compare by their Unicode scalars, not by canonical
/// equivalence, because RFC 8259 §8.3 compares strings code unit by code unit;
/// objects compare without regard to member order (RFC 8259 §4 calls objects
/// unordered); numbers compare by value, so `.int(3) == .number(3.0)` — RFC 8259
/// gives `3` and `3.0` no different meaning, and this keeps serialize-then-parse
/// lossless even though `.number(3.0)` is written as `3` and reads back as `.int`.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number that is not an integer token, or an integer outside `Int64`. Always finite when parsed.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue: Equatable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.int(a), .number(b)), let (.number(b), .int(a)): return exactlyEqual(a, b)
        case let (.string(a), .string(b)): return sameScalars(a, b)
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }
}

extension JSONValue {
    /// The string payload, or nil for other kinds.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer payload, or nil for other kinds (a `.number` is never converted).
    public var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// Any number as a `Double` (an `.int` is converted, possibly rounding beyond 2^53).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The boolean payload, or nil for other kinds.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements of an array, or nil for other kinds.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members of an object, or nil for other kinds.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Looks up an object member; nil when the key is absent or the value is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

/// The members of a JSON object, kept in document (insertion) order with unique keys.
///
/// Keys are matched by Unicode scalars, not by canonical equivalence, so "é" (U+00E9)
/// and "e\u{301}" are different keys, as RFC 8259 §8.3 requires. Lookup is a linear
/// scan, which is fastest for the small objects an API handles.
public struct JSONObject: Sendable {
    /// The members in order; keys are unique.
    public private(set) var members: [(key: String, value: JSONValue)]

    /// Creates an empty object.
    public init() { members = [] }

    /// Creates an object from members in order; a repeated key keeps its first
    /// position and takes the last value, so keys stay unique.
    public init(_ members: [(key: String, value: JSONValue)]) {
        self.members = []
        self.members.reserveCapacity(members.count)
        for member in members { self[member.key] = member.value }
    }

    /// Creates an object from members the caller guarantees have unique keys (the parser checks).
    init(uniqueMembers: [(key: String, value: JSONValue)]) {
        members = uniqueMembers
    }

    /// Number of members.
    public var count: Int { members.count }
    /// Whether there are no members.
    public var isEmpty: Bool { members.isEmpty }
    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// Gets a member's value; setting replaces in place, appends a new key, or removes the member when nil.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = index(of: key) else { return nil }
            return members[i].value
        }
        set {
            let i = index(of: key)
            switch (i, newValue) {
            case let (i?, value?): members[i].value = value
            case let (i?, nil): members.remove(at: i)
            case let (nil, value?): members.append((key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    private func index(of key: String) -> Int? {
        members.firstIndex { sameScalars($0.key, key) }
    }
}

extension JSONObject: Equatable {
    /// Objects are equal when they have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (i, member) in lhs.members.enumerated() {
            // Same-order documents are the common case; try the matching slot first.
            if sameScalars(rhs.members[i].key, member.key) {
                if rhs.members[i].value != member.value { return false }
            } else if rhs[member.key] != member.value {
                return false
            }
        }
        return true
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}

/// Whether a Double holds exactly the integer `a` (no rounding in either direction).
func exactlyEqual(_ a: Int64, _ b: Double) -> Bool {
    // ±2^63 are exact as Doubles; in [-2^63, 2^63) truncation to Int64 cannot trap, and
    // converting back tells whether anything was truncated. (Avoids `rounded`, which needs libm.)
    guard b >= -9_223_372_036_854_775_808.0, b < 9_223_372_036_854_775_808.0 else { return false }
    let truncated = Int64(b)
    return Double(truncated) == b && truncated == a
}

/// Compares strings by their UTF-8 bytes (equivalently, their scalars), ignoring Unicode canonical equivalence.
@inline(__always)
func sameScalars(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    return x.count == y.count && x.elementsEqual(y)
}
