import RewardOps

/// Consumer instances by their rate leases (alive while they heartbeat), and what each scraped
/// daemon's metrics say: in flight, paused, parking blocked, SDK spool depth, control version.
struct ConsumersPanel {
    let leases: Figure<[ConsumerLease]>
    let daemons: [DaemonReading]

    var html: HTML {
        let leaseTable: HTML = switch leases {
        case .success(let leases):
            PageLayout.table(["instance", "scope", "last heartbeat", "joined", "health"], leases.map(Self.row),
                             empty: "no consumer holds a lease: no consumer is running")
        case .failure(let failure):
            "<p class=\"bad\">leases unavailable: \(failure.message)</p>"
        }
        let live = (try? leases.get())?.filter(\.isLive).count
        let daemonTable = PageLayout.table(
            ["daemon", "in flight", "paused", "parking blocked", "spool depth", "control version", "health"],
            daemons.map(Self.row), empty: "no daemon metrics configured (console.daemons)")
        return """
            <p>live instances: <b data-figure="live-consumers" data-key="all">\(live.map { "\($0)" } ?? "?")</b></p>
            \(leaseTable)<h3>Daemons' metrics</h3>\(daemonTable)
            <p>SDK spool depth: <b data-figure="spool-depth" data-key="all">\(spoolDepth)</b></p>
            """
    }

    /// Summed over the daemons that export it; "not reported" when none does.
    var spoolDepth: String {
        let reported = daemons.compactMap(\.spoolDepth)
        return reported.isEmpty ? "not reported" : DaemonReading.whole(reported.reduce(0, +))
    }

    private static func row(_ lease: ConsumerLease) -> HTML {
        let health: HTML = lease.isLive ? "<span class=\"ok\">live</span>" : "<span class=\"bad\">silent</span>"
        return .row([
            .cell(lease.instanceID), .cell(lease.scope),
            PageLayout.figure("heartbeat-age", lease.instanceID, Formatting.fixed(lease.heartbeatAgeSeconds, 1) + " s ago"),
            .cell(Formatting.timestamp(lease.joinedAt)),
            "<td data-figure=\"lease-health\" data-key=\"\(lease.instanceID)\">\(health)</td>",
        ])
    }

    private static func row(_ reading: DaemonReading) -> HTML {
        let number = DaemonReading.whole
        let health: HTML = reading.failure.map { "<span class=\"bad\">\($0)</span>" }
            ?? (reading.isHealthy ? "<span class=\"ok\">ok</span>" : "<span class=\"warn\">paused or blocked</span>")
        let name = reading.daemon.name
        return .row([
            "<td title=\"\(reading.daemon.metricsURL)\">\(name)</td>", .cell(number(reading.inFlight), numeric: true),
            .cell(number(reading.paused), numeric: true), .cell(number(reading.parkingBlocked), numeric: true),
            PageLayout.figure("daemon-spool", name, reading.spoolDepth.map(DaemonReading.whole) ?? "not reported"),
            PageLayout.figure("daemon-control-version", name, number(reading.controlVersion)), .cell(health),
        ])
    }
}
