@testable import Spreadsheet
import Testing

@Suite("Serial dates")
struct SerialDateTests {
    @Test("a serial of the 1900 system is the day LibreOffice and Excel show")
    func days1900() {
        #expect(SerialDate(serial: 46752, date1904: false)?.dateText == "2027-12-31")
        #expect(SerialDate(serial: 45429, date1904: false)?.dateText == "2024-05-17")
        #expect(SerialDate(serial: 61, date1904: false)?.dateText == "1900-03-01")
        #expect(SerialDate(serial: 59, date1904: false)?.dateText == "1900-02-28")
        #expect(SerialDate(serial: 1, date1904: false)?.dateText == "1900-01-01")
        #expect(SerialDate(serial: 2_958_465, date1904: false)?.dateText == "9999-12-31")
    }

    @Test("the 29th of February 1900 that never was, and serials outside 1900 to 9999, are no date")
    func notDates() {
        #expect(SerialDate(serial: 60, date1904: false) == nil)
        #expect(SerialDate(serial: 0, date1904: false) == nil)
        #expect(SerialDate(serial: -3, date1904: false) == nil)
        #expect(SerialDate(serial: 2_958_466, date1904: false) == nil)
        #expect(SerialDate(serial: .nan, date1904: false) == nil)
    }

    @Test("the 1904 system counts from 1904-01-01")
    func days1904() {
        #expect(SerialDate(serial: 0, date1904: true)?.dateText == "1904-01-01")
        #expect(SerialDate(serial: 46752 - 1462, date1904: true)?.dateText == "2027-12-31")
    }

    @Test("a month column takes the month, a time column the time of day in Beijing time")
    func monthsAndTimes() {
        let morning = SerialDate(serial: 45429 + 9.5 / 24, date1904: false)
        #expect(morning?.monthText == "2024-05")
        #expect(morning?.timeText == "2024-05-17T09:30:00+08:00")
        #expect(SerialDate(serial: 45429, date1904: false)?.timeText == "2024-05-17")
        // 23:59:59.9 rounds to the next day, not to 24:00:00.
        #expect(SerialDate(serial: 45429 + 86_399.9 / 86_400, date1904: false)?.timeText == "2024-05-18")
    }
}
