/// `count` with its noun in the right number: "1 record", "2 records", "1 change set",
/// "0 entries" (give the plural when it is not the noun + "s"). Every message of either command
/// line that counts something says it through this, so that none reads "1 records".
public func plural(_ count: some BinaryInteger, _ noun: String, _ nounPlural: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : nounPlural ?? noun + "s")"
}
