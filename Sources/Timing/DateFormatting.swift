/// A UTC calendar date and time of day, split out of a count of seconds since 1970.
struct CivilTime {
    var year: Int64
    var month: Int64
    var day: Int64
    var hour: Int64
    var minute: Int64
    var second: Int64
    /// 0 is Sunday, matching the order of the HTTP day names.
    var weekday: Int64

    /// Seconds from 1970-01-01 back to 0000-01-01 and on to 9999-12-31T23:59:59, the years four digits can show.
    static let earliestSeconds: Int64 = -62_167_219_200
    static let latestSeconds: Int64 = 253_402_300_799

    /// Splits seconds since the epoch (clamped to years 0000...9999) into calendar fields.
    init(secondsSinceEpoch: Int64) {
        let seconds = min(max(secondsSinceEpoch, CivilTime.earliestSeconds), CivilTime.latestSeconds)
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        // 1970-01-01 was a Thursday (4 when Sunday is 0).
        weekday = floorModulo(days + 4, 7)

        // Count years from 0000-03-01 so that the leap day is the last day of each
        // "year": then months have a fixed pattern of lengths and February needs no
        // special case. 719_468 is the number of days from 0000-03-01 to 1970-01-01.
        let daysSinceMarchZero = days + 719_468
        // The Gregorian calendar repeats every 400 years, which are exactly 146_097 days.
        let cycle = floorDivide(daysSinceMarchZero, 146_097)
        let dayOfCycle = daysSinceMarchZero - cycle * 146_097
        // Remove the leap days that fall before this day within the cycle (one every 4
        // years, except every 100 years, except the 400th) to get a 365-day year count.
        let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36_524 - dayOfCycle / 146_096) / 365
        let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)
        // March..January alternate 31/30 days in a pattern that repeats every five
        // months (153 days), so a linear formula finds the month (0 = March).
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        // January and February belong to the March-based year that started in the previous calendar year.
        year = cycle * 400 + yearOfCycle + (month <= 2 ? 1 : 0)
    }

    /// Days in `month` (1–12) of proleptic Gregorian `year`.
    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date in years 0000...9999: the inverse of the
    /// split in `init`, with the same March-based years (153 days per five months; the leap days
    /// before a year are year/4 - year/100 + year/400).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let marchYear = month <= 2 ? year - 1 : year
        let monthFromMarch = month <= 2 ? month + 9 : month - 3
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        // marchYear is at least -1 (January 0000); shift by 400 years to keep the divisions non-negative.
        let shiftedYear = marchYear + 400
        let daysBeforeYear = 365 * shiftedYear + shiftedYear / 4 - shiftedYear / 100 + shiftedYear / 400
        return daysBeforeYear + dayOfYear - 146_097 - 719_468
    }
}

/// Integer division rounding towards minus infinity, so dates before 1970 land on the right day.
@inline(__always)
func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor < 0) ? quotient - 1 : quotient
}

/// The non-negative remainder matching `floorDivide`.
@inline(__always)
func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
    let remainder = value % divisor
    return remainder < 0 ? remainder + divisor : remainder
}

extension Array where Element == UInt8 {
    /// Appends `value` in decimal, zero-padded to exactly `digits` digits.
    @inline(__always)
    mutating func appendPadded(_ value: Int64, digits: Int) {
        var divisor: Int64 = 1
        for _ in 1..<digits { divisor *= 10 }
        var remaining = value
        while divisor > 0 {
            append(UInt8(truncatingIfNeeded: 48 + remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }
}

/// RFC 3339 timestamps in UTC with millisecond precision, e.g. `2026-01-01T12:01:00.123Z`.
///
/// Written by hand because this runs for every response body that carries a time,
/// and DateFormatter is both slow and locale-sensitive.
public enum RFC3339 {
    /// Formats milliseconds since 1970-01-01T00:00:00Z; values outside years 0000...9999 are clamped.
    public static func format(milliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(milliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the 24-byte timestamp for `milliseconds` to `bytes`.
    public static func append(milliseconds: Int64, to bytes: inout [UInt8]) {
        let earliest = CivilTime.earliestSeconds * 1000
        let latest = CivilTime.latestSeconds * 1000 + 999
        let clamped = min(max(milliseconds, earliest), latest)
        let seconds = floorDivide(clamped, 1000)
        appendDateTime(seconds: seconds, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        bytes.appendPadded(clamped - seconds * 1000, digits: 3)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Appends `seconds` (clamped to years 0000...9999) and `nanoseconds` (0–999,999,999) with
    /// the fewest of 0, 3, 6 or 9 fraction digits that show them exactly (the proto3 JSON form of
    /// a Timestamp).
    public static func append(seconds: Int64, nanoseconds: Int64, to bytes: inout [UInt8]) {
        appendDateTime(seconds: min(max(seconds, CivilTime.earliestSeconds), CivilTime.latestSeconds), to: &bytes)
        let nanoseconds = min(max(nanoseconds, 0), 999_999_999)
        if nanoseconds != 0 {
            bytes.append(UInt8(ascii: "."))
            if nanoseconds % 1_000_000 == 0 {
                bytes.appendPadded(nanoseconds / 1_000_000, digits: 3)
            } else if nanoseconds % 1000 == 0 {
                bytes.appendPadded(nanoseconds / 1000, digits: 6)
            } else {
                bytes.appendPadded(nanoseconds, digits: 9)
            }
        }
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Seconds since 1970-01-01 of a UTC date and time (the inverse of the formatting above), or
    /// nil for a day the month does not have or a time of day out of range (no leap seconds).
    public static func seconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Int64? {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= CivilTime.daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59, hour >= 0, minute >= 0, second >= 0
        else { return nil }
        return CivilTime.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// `YYYY-MM-DDTHH:MM:SS` of `seconds`, which are within years 0000...9999.
    private static func appendDateTime(seconds: Int64, to bytes: inout [UInt8]) {
        let time = CivilTime(secondsSinceEpoch: seconds)
        bytes.appendPadded(time.year, digits: 4)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendPadded(time.month, digits: 2)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendPadded(time.day, digits: 2)
        bytes.append(UInt8(ascii: "T"))
        bytes.appendPadded(time.hour, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        bytes.appendPadded(time.minute, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        bytes.appendPadded(time.second, digits: 2)
    }
}

/// The IMF-fixdate form required for the HTTP `Date` header, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
public enum HTTPDate {
    private static let dayNames: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Formats seconds since 1970-01-01T00:00:00Z; values outside years 0000...9999 are clamped.
    public static func format(seconds: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        append(seconds: seconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the 29-byte date for `seconds` to `bytes`.
    public static func append(seconds: Int64, to bytes: inout [UInt8]) {
        let time = CivilTime(secondsSinceEpoch: seconds)
        appendName(dayNames[Int(time.weekday)], to: &bytes)
        bytes.append(UInt8(ascii: ","))
        bytes.append(UInt8(ascii: " "))
        bytes.appendPadded(time.day, digits: 2)
        bytes.append(UInt8(ascii: " "))
        appendName(monthNames[Int(time.month - 1)], to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes.appendPadded(time.year, digits: 4)
        bytes.append(UInt8(ascii: " "))
        bytes.appendPadded(time.hour, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        bytes.appendPadded(time.minute, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        bytes.appendPadded(time.second, digits: 2)
        bytes.append(UInt8(ascii: " "))
        appendName("GMT", to: &bytes)
    }

    private static func appendName(_ name: StaticString, to bytes: inout [UInt8]) {
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
