/// A spreadsheet's serial date: days since the workbook's epoch, the fraction the time of day.
///
/// In the 1900 date system (Excel's and LibreOffice's default) day 1 is 1900-01-01 and day 60
/// is 1900-02-29, a day that never was (Lotus 1-2-3 took 1900 for a leap year and Excel kept
/// it), so from day 61 on the serial is days since 1899-12-30. A workbook saved with
/// `date1904` counts from 1904-01-01 instead. Day 60 and anything outside 1900–9999 is not a
/// date. For example, 46752 is 2027-12-31 and 45429.395833 is 2024-05-17 09:30.
struct SerialDate: Equatable {
    let year: Int
    let month: Int
    let day: Int
    /// Seconds into the day, rounded to the second.
    let seconds: Int

    init?(serial: Double, date1904: Bool) {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        var days = Int(serial.rounded(.down))
        var seconds = Int(((serial - Double(days)) * 86_400).rounded())
        if seconds == 86_400 {
            days += 1
            seconds = 0
        }
        let sinceUnixEpoch: Int
        if date1904 {
            sinceUnixEpoch = days - 24_107
        } else {
            guard days >= 1, days != 60 else { return nil }
            sinceUnixEpoch = days < 60 ? days - 25_568 : days - 25_569
        }
        (year, month, day) = Self.civil(fromDays: sinceUnixEpoch)
        self.seconds = seconds
        guard (1900...9999).contains(year) else { return nil }
    }

    /// `YYYY-MM-DD`.
    var dateText: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }

    /// `YYYY-MM`.
    var monthText: String { "\(pad(year, 4))-\(pad(month, 2))" }

    /// `YYYY-MM-DD` for a whole day, else `YYYY-MM-DDTHH:MM:SS+08:00`: a time in a bureau's sheet
    /// is Beijing time, as every time a person reads in this project is.
    var timeText: String {
        guard seconds > 0 else { return dateText }
        return "\(dateText)T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))+08:00"
    }

    /// The proleptic Gregorian date of a count of days since 1970-01-01 (H. Hinnant's
    /// `civil_from_days`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
