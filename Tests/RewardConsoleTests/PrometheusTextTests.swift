import Testing

@testable import RewardConsole

@Suite struct PrometheusTextTests {
    @Test func readsNamesLabelsAndValues() {
        let samples = PrometheusText.parse("""
            # HELP reward_sdk_spool_depth records
            # TYPE reward_sdk_spool_depth gauge
            reward_sdk_spool_depth 42
            reward_consumer_in_flight{cluster="A",lane="cash"} 7
            reward_odd{label="with \\"quote\\", comma"} 1.5
            """)
        #expect(samples == [
            PrometheusSample(name: "reward_sdk_spool_depth", labels: [:], value: 42),
            PrometheusSample(name: "reward_consumer_in_flight", labels: ["cluster": "A", "lane": "cash"], value: 7),
            PrometheusSample(name: "reward_odd", labels: ["label": "with \"quote\", comma"], value: 1.5),
        ])
    }

    @Test func skipsLinesItCannotReadAndKeepsTheRest() {
        let samples = PrometheusText.parse("""
            garbage
            broken{label="unterminated 3
            also{x=unquoted} 2
            no_value{a="b"}
            reward_control_version 12
            """)
        #expect(samples == [PrometheusSample(name: "reward_control_version", labels: [:], value: 12)])
        let reading = DaemonReading(daemon: .init(name: "c", metricsURL: "http://127.0.0.1:1/metrics"), failure: nil, samples: samples)
        #expect(reading.controlVersion == 12)
        #expect(reading.spoolDepth == nil)
    }
}

extension PrometheusTextTests {
    /// A daemon's odd numbers are shown, never converted into a trap.
    @Test func oddValuesAreShownNotConverted() {
        #expect(DaemonReading.whole(12) == "12")
        #expect(DaemonReading.whole(2.5) == "2.5")
        #expect(DaemonReading.whole(.nan) == "nan")
        #expect(DaemonReading.whole(.infinity) == "inf")
        #expect(DaemonReading.whole(1e300) == "1e+300")
        #expect(DaemonReading.whole(nil) == "-")
        let samples = PrometheusText.parse("reward_sdk_spool_depth NaN\nreward_consumer_in_flight +Inf\nreward_consumer_paused 1e300")
        #expect(samples.count == 3)
    }
}
