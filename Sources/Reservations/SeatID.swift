/// A seat's place in an event: section index (0-based, in the event's section order) and seat
/// number (from 1). Ordering is the API's "lowest-numbered": section order, then number as an integer.
public struct SeatPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Index of the section in the event's section list.
    public var section: Int
    /// Seat number within the section, from 1.
    public var number: Int

    /// Creates a position.
    public init(section: Int, number: Int) {
        self.section = section
        self.number = number
    }

    /// Section order first, then number.
    public static func < (lhs: SeatPosition, rhs: SeatPosition) -> Bool {
        (lhs.section, lhs.number) < (rhs.section, rhs.number)
    }

    /// `section#number`, for test failures and logs.
    public var description: String { "\(section)#\(number)" }
}

/// Seat id text, `{section}-{n}`: parsing and formatting.
public enum SeatID {
    /// Largest seat number that can exist (an event has at most 1,000,000 seats).
    static let maxNumber = NewEvent.Limits.maxSeats

    /// `A` and 12 → `A-12`.
    public static func format(section: String, number: Int) -> String {
        "\(section)-\(number)"
    }

    /// Splits `A-12` into (`A`, 12); nil unless the section name is valid and the number is a
    /// canonical decimal (no sign, no leading zero) between 1 and 1,000,000, so that each seat has
    /// exactly one spelling.
    public static func parse(_ text: String) -> (section: String, number: Int)? {
        let bytes = Array(text.utf8)
        guard let dash = bytes.lastIndex(of: UInt8(ascii: "-")) else { return nil }
        let sectionBytes = bytes[..<dash]
        let digits = bytes[(dash + 1)...]
        guard !sectionBytes.isEmpty, sectionBytes.count <= NewEvent.Limits.maxSectionNameLength,
            sectionBytes.allSatisfy(ASCII.isAlphanumeric),
            !digits.isEmpty, digits.count <= 7, digits.first != UInt8(ascii: "0"),
            digits.allSatisfy(ASCII.isDigit)
        else { return nil }
        let number = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard number <= maxNumber else { return nil }
        return (String(decoding: sectionBytes, as: UTF8.self), number)
    }
}
