import Kafka
import RewardCore

extension LaneOffsets {
    /// Who may be using the lane group: the cluster's description of it where it has one (real
    /// Kafka), and the lane's live leases where the database answers.
    func membership(_ admin: KafkaAdmin, group: String, lane: Lane) async -> GroupMembership {
        var notes: [String] = []
        var described = false
        var state: String?
        var members: [String] = []
        do {
            let description = try await admin.describeConsumerGroup(group)
            described = true
            state = description.state
            members = description.members.map { "\($0.clientID)@\($0.clientHost) (\($0.memberID))" }
        } catch let error as KafkaError where error.code == .unsupportedFeature {
            // librdkafka's mock clusters: GroupMembership.lines says how the reset checks instead.
        } catch {
            notes.append("group members: the cluster did not describe the group (\(error))")
        }
        var leases: [String]?
        if let pool {
            do {
                leases = try await LaneActivity.activeInstances(lane: lane, pool: pool)
            } catch {
                notes.append("lane leases: the database could not be read (\(error))")
            }
        }
        return GroupMembership(described: described, state: state, members: members, laneLeases: leases, notes: notes)
    }
}
