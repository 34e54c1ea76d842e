internal import CRdKafka

extension KafkaAdmin {
    /// One group's state and live members, as its coordinator reports them.
    ///
    /// A group the cluster does not know is reported as `Dead` with no members (Kafka's own answer
    /// for an unknown group).
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/unsupportedFeature`` on librdkafka's mock
    ///   clusters (they implement neither ListGroups nor DescribeGroups); Kafka errors otherwise.
    public func describeConsumerGroup(_ id: String) async throws -> KafkaConsumerGroupDescription {
        let handle = self.handle
        let timeout = timeoutMilliseconds
        return try await offload {
            var list: UnsafePointer<rd_kafka_group_list>?
            let err = rd_kafka_list_groups(handle.pointer, id, &list, timeout)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__PARTIAL, let list else {
                throw KafkaError(err, context: "describe consumer group \(id)")
            }
            defer { rd_kafka_group_list_destroy(list) }
            for index in 0..<Int(list.pointee.group_cnt) {
                let group = list.pointee.groups[index]
                guard String(cString: group.group) == id else { continue }
                guard group.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(group.err, context: "describe consumer group \(id)")
                }
                let members = (0..<Int(max(0, group.member_cnt))).map { m in
                    let member = group.members[m]
                    return KafkaConsumerGroupDescription.Member(
                        memberID: member.member_id.map { String(cString: $0) } ?? "",
                        clientID: member.client_id.map { String(cString: $0) } ?? "",
                        clientHost: member.client_host.map { String(cString: $0) } ?? "")
                }
                return KafkaConsumerGroupDescription(
                    id: id, state: group.state.map { String(cString: $0) } ?? "", members: members)
            }
            return KafkaConsumerGroupDescription(id: id, state: "Dead", members: [])
        }
    }
}
