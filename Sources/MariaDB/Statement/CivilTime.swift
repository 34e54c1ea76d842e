import CMariaDB
import Foundation

/// UTC calendar fields <-> `Date` with microsecond precision, without `Calendar` (fast and exact).
///
/// Uses Howard Hinnant's days-from-civil algorithms on the proleptic Gregorian calendar.
enum CivilTime {
    /// Microseconds since 1970-01-01T00:00:00Z, rounded to the nearest microsecond.
    ///
    /// `Date` is a `Double`, so it holds whole microseconds exactly only within about ±136 years of
    /// 2001 (1865…2137); farther out the nearest representable instant is used.
    static func microseconds(of date: Date) -> Int64? {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard micros.isFinite, abs(micros) < 4.0e17 else { return nil }
        return Int64(micros)
    }

    /// The `Date` for microseconds since the epoch; exact for the microsecond values MariaDB can store.
    static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    /// Fills a `MYSQL_TIME` (DATETIME) with the UTC fields of `date`.
    /// - Returns: `nil` when the year is outside 0...9999, which no MariaDB column can hold.
    static func mysqlTime(from date: Date) -> MYSQL_TIME? {
        guard let micros = microseconds(of: date) else { return nil }
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        guard (0...9999).contains(year) else { return nil }
        var time = MYSQL_TIME()
        time.year = UInt32(year)
        time.month = UInt32(month)
        time.day = UInt32(day)
        time.hour = UInt32(secondOfDay / 3600)
        time.minute = UInt32(secondOfDay % 3600 / 60)
        time.second = UInt32(secondOfDay % 60)
        time.second_part = UInt(fraction)
        time.neg = 0
        time.time_type = MYSQL_TIMESTAMP_DATETIME
        return time
    }

    /// The `Date` of a `MYSQL_TIME` read from a DATE/DATETIME/TIMESTAMP column, taken as UTC.
    /// - Returns: `nil` for MariaDB's zero date (`0000-00-00`) and other impossible dates.
    static func date(from time: MYSQL_TIME) -> Date? {
        guard (1...12).contains(time.month), (1...31).contains(time.day), time.neg == 0 else { return nil }
        let days = self.days(fromCivil: Int64(time.year), Int64(time.month), Int64(time.day))
        let seconds = days * 86_400 + Int64(time.hour) * 3600 + Int64(time.minute) * 60 + Int64(time.second)
        return date(microseconds: seconds * 1_000_000 + Int64(time.second_part))
    }

    /// The text MariaDB would show for a `MYSQL_TIME`, used for zero dates that have no `Date`.
    static func text(of time: MYSQL_TIME) -> String {
        func pad(_ value: UInt32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(time.year, 4))-\(pad(time.month, 2))-\(pad(time.day, 2)) "
            + "\(pad(time.hour, 2)):\(pad(time.minute, 2)):\(pad(time.second, 2))"
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
