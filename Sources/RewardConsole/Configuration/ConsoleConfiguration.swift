/// How the console serves and what it reads besides the stores: its address, the operators who
/// may sign in, the daemons whose `/metrics` it scrapes, and the knobs of its figures.
public struct ConsoleConfiguration: Sendable {
    /// A daemon whose Prometheus text the page reads (spool depth, in-flight records, control version).
    public struct Daemon: Sendable, Hashable {
        public var name: String
        /// `http://host:port/metrics`.
        public var metricsURL: String

        public init(name: String, metricsURL: String) {
            self.name = name
            self.metricsURL = metricsURL
        }
    }

    /// Who may sign in. Required: a console nobody can sign in to serves nothing.
    public var operators: OperatorDirectory
    /// Loopback by default: the page is for the on-call's network, behind their own proxy.
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 8090
    /// How long a sign-in lasts. Default 12 h: a festival night.
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    /// Marks the session cookie `Secure`; set it when a TLS proxy stands in front.
    public var secureCookies = false
    /// Daemons scraped for each page.
    public var daemons: [Daemon] = []
    /// Records read per partition to split lag by reward type (the rest is estimated from them).
    public var lagSampleLimit = 5_000
    /// Recent credits that measure each type's rate (as `reward-admin lag --window`).
    public var creditWindow: Duration = .seconds(30)
    /// Replays after which a dead letter is left alone (as `reward-admin dlq replay --max-replays`).
    public var maximumReplays = 3
    /// Forms are small; anything larger is refused before it is parsed.
    public var maximumFormBytes = 16 * 1024

    /// - Parameter operators: Who may sign in.
    public init(operators: OperatorDirectory) {
        self.operators = operators
    }
}
