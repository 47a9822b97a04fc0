import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What a reader of one workbook part does with the parser's events. Element names come without
/// their namespace prefix (`x:row` is `row`), as some writers prefix the spreadsheet namespace.
protocol XMLPartHandler: AnyObject {
    func start(_ name: String, attributes: [String: String])
    func end(_ name: String)
    func text(_ text: String)
}

/// Reads a part in one pass with Foundation's streaming `XMLParser` (libxml2 on Linux, which
/// resolves no external entity), so that a sheet of many rows is never held as a tree.
final class XMLPartReader: NSObject, XMLParserDelegate {
    private let handler: any XMLPartHandler

    private init(handler: any XMLPartHandler) {
        self.handler = handler
    }

    static func read(_ data: Data, part: String, into handler: any XMLPartHandler) throws(SpreadsheetError) {
        let reader = XMLPartReader(handler: handler)
        // From a stream, not `XMLParser(data:)`: on Linux that reports a part of more than 16 MiB
        // (a sheet of some 10,000 records) as not well-formed after reading all of it.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse() else {
            let why = parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown error"
            throw .badPart(part: part, reason: "not well-formed XML at line \(parser.lineNumber): \(why)")
        }
    }

    private static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        handler.start(Self.localName(elementName), attributes: attributeDict)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        handler.end(Self.localName(elementName))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        handler.text(string)
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        handler.text(String(decoding: block, as: UTF8.self))
    }
}

extension [String: String] {
    /// An attribute by its local name, whatever prefix the writer gave it (`r:id`).
    func attribute(_ localName: String) -> String? {
        if let value = self[localName] { return value }
        return first { $0.key.hasSuffix(":" + localName) }?.value
    }
}
