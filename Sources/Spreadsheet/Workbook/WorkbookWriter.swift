import EnterpriseModel
import Foundation
import ZIPFoundation

/// Writes a workbook of one sheet, row by row, from the same `CSVCell`s a CSV line is made of.
///
/// A `.text` cell is an inline string (`t="inlineStr"`). A spreadsheet never evaluates a string
/// cell, so `=HYPERLINK(…)` in a name stays text and needs no `'` the way a CSV cell does;
/// `CSVCell.typedText` adds one only where the reader would otherwise take one off. A
/// `.number` is a number cell when a spreadsheet keeps it exactly (at most 15 significant
/// digits), else an inline string too, so no digit is lost. An empty text cell is left out.
/// The header row is frozen, so it stays in view as staff scroll. For example:
///
/// ```swift
/// var writer = WorkbookWriter(sheetName: "企业名录")
/// writer.append([.text("uscc"), .text("employees")])
/// writer.append([.text("91410100MA44ABCD1X"), .number("120")])
/// try writer.data().write(to: url)
/// ```
public struct WorkbookWriter {
    public let sheetName: String
    private var rows: [UInt8] = []
    /// The rows appended so far.
    public private(set) var rowCount = 0

    public init(sheetName: String) {
        self.sheetName = sheetName
    }

    /// Appends one row, its cells from column A on.
    public mutating func append(_ cells: [CSVCell]) {
        rowCount += 1
        let number = String(rowCount)
        var xml = "<row r=\"\(number)\">"
        for (index, cell) in cells.enumerated() {
            let reference = CellReference.letters(index + 1) + number
            switch cell {
            case .text(let text) where text.isEmpty:
                continue
            case .number(let text) where CSVCell.isNumber(text) && SheetNumber.fitsASpreadsheet(text):
                xml += "<c r=\"\(reference)\"><v>\(text)</v></c>"
            case .text(let text), .number(let text):
                xml += "<c r=\"\(reference)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(XMLText.escaped(CSVCell.typedText(text)))</t></is></c>"
            }
        }
        xml += "</row>"
        rows.append(contentsOf: xml.utf8)
    }

    /// The workbook as the bytes of an xlsx file.
    public func data() throws(SpreadsheetError) -> Data {
        let sheet = Data((WorkbookParts.sheetHead + String(decoding: rows, as: UTF8.self) + WorkbookParts.sheetTail).utf8)
        do {
            let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
            for (path, content) in WorkbookParts.fixed(sheetName: XMLText.escaped(Self.validSheetName(sheetName))) + [("xl/worksheets/sheet1.xml", sheet)] {
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(content.count), compressionMethod: .deflate) { position, size in
                    content.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            guard let data = archive.data else { throw SpreadsheetError.cannotWrite(reason: "the archive kept no bytes") }
            return data
        } catch let error as SpreadsheetError {
            throw error
        } catch {
            throw .cannotWrite(reason: "\(error)")
        }
    }

    /// At most 31 characters and none of `[]:*?/\`, as Excel requires of a sheet's name.
    static func validSheetName(_ name: String) -> String {
        let cleaned = String(String.UnicodeScalarView(name.unicodeScalars.filter { !"[]:*?/\\".unicodeScalars.contains($0) }).prefix(31))
        return cleaned.isEmpty ? "Sheet1" : cleaned
    }
}
