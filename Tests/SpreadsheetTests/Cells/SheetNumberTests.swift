@testable import Spreadsheet
import Testing

@Suite("Numbers in sheets")
struct SheetNumberTests {
    @Test("a phone number stored as a number reads back as its digits, without .0 or an exponent")
    func phoneNumbers() {
        #expect(SheetNumber.read("13812345678") == .integer("13812345678"))
        #expect(SheetNumber.read("1.3812345678E10") == .integer("13812345678"))
        #expect(SheetNumber.read("13812345678.0") == .integer("13812345678"))
        #expect(SheetNumber.read("-5") == .integer("-5"))
        #expect(SheetNumber.read("12.5") == .fraction("12.5"))
        #expect(SheetNumber.read("abc") == .notANumber)
    }

    @Test("a number of 16 digits or more has lost digits in the spreadsheet and is refused")
    func lostDigits() {
        #expect(SheetNumber.read("9.14101000000000E+17") == .lostDigits)
        #expect(SheetNumber.read("1000000000000000") == .lostDigits)
        #expect(SheetNumber.read("999999999999999") == .integer("999999999999999"))
    }

    @Test("only numbers of at most 15 significant digits are written as numbers")
    func fits() {
        #expect(SheetNumber.fitsASpreadsheet("123456789012345"))
        #expect(SheetNumber.fitsASpreadsheet("-0.000123"))
        #expect(!SheetNumber.fitsASpreadsheet("1234567890123456"))
        #expect(!SheetNumber.fitsASpreadsheet("914101000000000001"))
    }

    @Test("cell references from A1 to XFD1048576")
    func references() {
        #expect(CellReference("G7") == CellReference(column: 7, row: 7))
        #expect(CellReference("$AA$10") == CellReference(column: 27, row: 10))
        #expect(CellReference("XFD1048576")?.column == 16_384)
        #expect(CellReference("XFE1") == nil)
        #expect(CellReference("A0") == nil)
        #expect(CellReference("7G") == nil)
        #expect(CellReference(column: 703, row: 2).description == "AAA2")
    }
}
