/// The version of the JSON wire format spoken between agent and aggregator.
///
/// Every change set, answer and change page carries it as `"format"`; an aggregator refuses a
/// format it does not know instead of guessing.
public enum WireFormat {
    public static let version = 1
}
